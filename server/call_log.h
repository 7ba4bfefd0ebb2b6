// One gRPC call's access line and request metrics, shared by the services
// on the gRPC port (common/access_log.h, common/request_metrics.h): the
// request id is the client's sane `x-request-id` or a new one, returned in
// the initial metadata. Construct it in the reaction that starts the call;
// Done may then run on any thread, once.
#ifndef MEDIAGW_SERVER_CALL_LOG_H_
#define MEDIAGW_SERVER_CALL_LOG_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "common/access_log.h"
#include "grpcpp/grpcpp.h"

namespace mediagw {

// The value of client metadata `name`, or "" when absent.
std::string Metadata(grpc::CallbackServerContext* ctx, const char* name);

class CallLog {
 public:
  // `method` is the full method name, e.g. "/mediagw.v1.MediaService/GetTask".
  CallLog(grpc::CallbackServerContext* ctx, absl::string_view method);
  const std::string& request_id() const { return entry_.request_id; }
  void SetKeyName(const std::string& name) { entry_.key_name = name; }
  // Called once, when the call finishes with `status`.
  void Done(const grpc::Status& status);

 private:
  AccessLogEntry entry_;
};

// Logs the call's end, then finishes `reactor` with `status`.
void FinishCall(grpc::ServerUnaryReactor* reactor,
                const std::shared_ptr<CallLog>& log, grpc::Status status);

}  // namespace mediagw

#endif  // MEDIAGW_SERVER_CALL_LOG_H_
