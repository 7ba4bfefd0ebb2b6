// Builds and starts the gRPC server: our services plus grpc.health.v1 and
// server reflection.
#ifndef MEDIAGW_SERVER_GRPC_SERVER_H_
#define MEDIAGW_SERVER_GRPC_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace mediagw {

struct RunningGrpcServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;  // the bound port (listen port 0 = kernel picks)
};

// `listen` is host:port. Services must outlive the server. UNAVAILABLE if
// the address cannot be bound.
absl::StatusOr<RunningGrpcServer> StartGrpcServer(
    const std::string& listen, const std::vector<grpc::Service*>& services);

}  // namespace mediagw

#endif  // MEDIAGW_SERVER_GRPC_SERVER_H_
