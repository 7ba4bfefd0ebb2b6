#include "server/grpc_server.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

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

bool WaitUntilNotListening(const std::string& host, int port,
                           absl::Duration max) {
  std::string target = host;
  if (target.empty() || target == "0.0.0.0") target = "127.0.0.1";
  if (target == "::") target = "::1";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (getaddrinfo(target.c_str(), std::to_string(port).c_str(), &hints,
                  &res) != 0 ||
      res == nullptr) {
    return false;
  }
  const absl::Time deadline = absl::Now() + max;
  bool refused = false;
  while (!refused && absl::Now() < deadline) {
    const int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    refused = ::connect(fd, res->ai_addr, res->ai_addrlen) != 0 &&
              errno == ECONNREFUSED;
    ::close(fd);
    if (!refused) absl::SleepFor(absl::Milliseconds(2));
  }
  freeaddrinfo(res);
  return refused;
}

}  // namespace mediagw
