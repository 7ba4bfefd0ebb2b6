// A stand-in for a public image host, so image-to-video can be driven with
// an input image *URL* (seed 000's video example names a remote picture):
//   GET /samples/<width>x<height>.png   a RenderPng picture of that size
//   GET /samples/<width>x<height>.jpg   the same as a JPEG (RenderJpeg)
// Sides are 16..2048. The picture depends only on the size. Other paths are
// HTTP 404, other methods 405, with {"error": "..."} bodies (also for
// injected HTTP errors). The generic faults apply under "/samples/".
//
// Threading: Route renders inline (at most 2048x2048, a few milliseconds);
// it holds no state and is safe to call concurrently.
#ifndef MEDIAGW_TOOLS_SIM_SAMPLE_ROUTES_H_
#define MEDIAGW_TOOLS_SIM_SAMPLE_ROUTES_H_

#include <memory>
#include <optional>

#include "absl/strings/string_view.h"
#include "net/http_server.h"
#include "tools/sim/vendor_routes.h"

namespace mediagw::sim {

class SampleRoutes : public VendorRoutes {
 public:
  absl::string_view Prefix() const override { return "/samples"; }
  std::optional<net::ServerResponse> Route(
      const net::ServerRequest& request, absl::string_view path,
      const std::shared_ptr<net::ResponseWriter>& writer) override;
  net::ServerResponse ErrorResponse(int status,
                                    absl::string_view message) const override;
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_SAMPLE_ROUTES_H_
