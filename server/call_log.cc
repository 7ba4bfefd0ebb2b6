#include "server/call_log.h"

#include <utility>

#include "absl/time/clock.h"
#include "common/request_metrics.h"

namespace mediagw {

std::string Metadata(grpc::CallbackServerContext* ctx, const char* name) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(name);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

CallLog::CallLog(grpc::CallbackServerContext* ctx, absl::string_view method) {
  entry_.start = absl::Now();
  entry_.request_id = RequestIdFrom(Metadata(ctx, "x-request-id"));
  entry_.surface = "grpc";
  entry_.route = std::string(method);  // gRPC: the full method name
  entry_.peer = ctx->peer();
  ctx->AddInitialMetadata("x-request-id", entry_.request_id);
}

void CallLog::Done(const grpc::Status& status) {
  entry_.status = static_cast<int>(status.error_code());
  entry_.duration = absl::Now() - entry_.start;
  LogAccess(entry_);
  RecordGrpcRequest(entry_.route,
                    static_cast<absl::StatusCode>(status.error_code()),
                    entry_.duration);
}

void FinishCall(grpc::ServerUnaryReactor* reactor,
                const std::shared_ptr<CallLog>& log, grpc::Status status) {
  log->Done(status);
  reactor->Finish(std::move(status));
}

}  // namespace mediagw
