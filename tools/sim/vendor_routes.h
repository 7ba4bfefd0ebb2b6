// A simulated upstream served under a path prefix of the simulator (e.g.
// "/xai/v1/images/generations"), next to ComfyUI at the root. Each vendor
// (xAI, OpenAI-compatible dialects, kie, declarative job APIs) implements
// this interface in its own files and is added in SimServer's constructor.
//
// The routes layer does the shared work before a vendor sees a request:
// request counting, /_sim control routes, and the generic faults
// (drop_connection, http_500/http_status rendered through ErrorResponse,
// malformed_json and slow_body applied to the vendor's response). Job faults
// (error_status, vanish) are the vendor's to take with
// FaultRegistry::TakeJobFault() when a job starts.
//
// Threading: Route runs on a server thread, concurrently with itself; it must
// not block (no sleeping; long work goes to the vendor's own executor).
#ifndef MEDIAGW_TOOLS_SIM_VENDOR_ROUTES_H_
#define MEDIAGW_TOOLS_SIM_VENDOR_ROUTES_H_

#include <memory>
#include <optional>

#include "absl/strings/string_view.h"
#include "net/http_server.h"

namespace mediagw::sim {

class VendorRoutes {
 public:
  virtual ~VendorRoutes() = default;

  // "/xai": requests whose path starts with Prefix() + "/" come here.
  virtual absl::string_view Prefix() const = 0;

  // `path` is the request path without the prefix ("/v1/images/...").
  // nullopt: the vendor answered through `writer` itself.
  virtual std::optional<net::ServerResponse> Route(
      const net::ServerRequest& request, absl::string_view path,
      const std::shared_ptr<net::ResponseWriter>& writer) = 0;

  // The vendor's own error answer for an injected HTTP error (status 4xx or
  // 5xx), e.g. {"error": {"message", "type", "code"}} for OpenAI-style APIs
  // or HTTP 200 with {"code": 500, "msg"} for kie.
  virtual net::ServerResponse ErrorResponse(int status,
                                            absl::string_view message) const = 0;
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_VENDOR_ROUTES_H_
