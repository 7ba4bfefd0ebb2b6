#include "server/grpc_server.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"

namespace mediagw {
namespace {

int AsInt(uint64_t v) {
  return v > static_cast<uint64_t>(INT32_MAX) ? INT32_MAX
                                              : static_cast<int>(v);
}

}  // namespace

absl::StatusOr<RunningGrpcServer> StartGrpcServer(
    const std::string& listen, const std::vector<grpc::Service*>& services,
    const config::GrpcLimits& limits) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  RunningGrpcServer out;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &out.port);
  for (auto* s : services) builder.RegisterService(s);

  builder.SetMaxReceiveMessageSize(AsInt(limits.max_receive_message_bytes()));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             AsInt(limits.max_concurrent_streams()));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             AsInt(limits.keepalive_time_ms()));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             AsInt(limits.keepalive_timeout_ms()));
  // A client that pings with no call open is policed as one that pings
  // too often: idle connections have nothing to keep alive.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      AsInt(limits.min_ping_interval_ms()));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES,
                             AsInt(limits.max_ping_strikes()));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             AsInt(limits.max_connection_idle_ms()));
  if (limits.max_connection_age_ms() > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               AsInt(limits.max_connection_age_ms()));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                               AsInt(limits.max_connection_age_grace_ms()));
  }
  grpc::ResourceQuota quota("mediagw-grpc");
  quota.Resize(static_cast<size_t>(limits.memory_quota_bytes()));
  if (limits.max_threads() > 0) quota.SetMaxThreads(AsInt(limits.max_threads()));
  builder.SetResourceQuota(quota);

  out.server = builder.BuildAndStart();
  if (out.server == nullptr || out.port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", listen));
  }
  return out;
}

}  // namespace mediagw
