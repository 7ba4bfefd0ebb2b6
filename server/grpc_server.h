// Builds and starts the gRPC server: our services plus grpc.health.v1 and
// server reflection, under the transport limits of config GrpcLimits.
#ifndef MEDIAGW_SERVER_GRPC_SERVER_H_
#define MEDIAGW_SERVER_GRPC_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "mediagw/config/config.pb.h"

namespace mediagw {

struct RunningGrpcServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;  // the bound port (listen port 0 = kernel picks)
};

// `listen` is host:port ([v6]:port for IPv6). Services must outlive the
// server. `limits` must have its defaults filled in (common/config does);
// a zero field is passed to gRPC as is, except max_connection_age_ms,
// where 0 means no limit. UNAVAILABLE if the address cannot be bound.
//
// Limits applied: concurrent streams per connection (further calls wait
// for a free stream), receive message size (RESOURCE_EXHAUSTED), keepalive
// pings to the client and their timeout, client ping policing (strikes ->
// GOAWAY "too_many_pings"), idle and age limits per connection, and a
// grpc::ResourceQuota for memory and threads. gRPC 1.51 has no cap on the
// number of connections; the memory quota bounds them.
absl::StatusOr<RunningGrpcServer> StartGrpcServer(
    const std::string& listen, const std::vector<grpc::Service*>& services,
    const config::GrpcLimits& limits);

// Returns once a TCP connect to `host`:`port` is refused (the listener is
// closed; a wildcard host is tried on loopback), or after `max`. On
// shutdown, grpc::Server::Shutdown closes the listener on another thread
// while it waits for calls: streams are ended only after this, so that a
// client that saw its stream end cannot then start a new call here. False
// if `max` passed first.
bool WaitUntilNotListening(const std::string& host, int port,
                           absl::Duration max);

}  // namespace mediagw

#endif  // MEDIAGW_SERVER_GRPC_SERVER_H_
