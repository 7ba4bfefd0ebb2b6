// Health and metrics routes: GET /healthz (the process is up), GET /readyz
// (it can take work: the `ready` check passes) and GET /metrics
// (Prometheus text). No key needed. Bodies: gateway/service_codec.h.
#ifndef MEDIAGW_GATEWAY_HEALTH_HANDLER_H_
#define MEDIAGW_GATEWAY_HEALTH_HANDLER_H_

#include <functional>

#include "absl/status/status.h"
#include "gateway/route_table.h"

namespace mediagw::gateway {

class HealthHandler {
 public:
  // `ready` runs on an HTTP thread and must not block; empty = always ready.
  explicit HealthHandler(std::function<absl::Status()> ready)
      : ready_(std::move(ready)) {}

  // The handler must outlive the table's use.
  void Register(RouteTable& table);

 private:
  std::function<absl::Status()> ready_;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_HEALTH_HANDLER_H_
