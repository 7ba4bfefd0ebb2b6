#include "server/grpc_server.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

namespace mediagw {

absl::StatusOr<RunningGrpcServer> StartGrpcServer(
    const std::string& listen, const std::vector<grpc::Service*>& services) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  RunningGrpcServer out;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &out.port);
  for (auto* s : services) builder.RegisterService(s);
  builder.SetMaxReceiveMessageSize(16 << 20);
  out.server = builder.BuildAndStart();
  if (out.server == nullptr || out.port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", listen));
  }
  return out;
}

}  // namespace mediagw
