// The simulated Flux job API (shaped like Black Forest Labs' BFL API; driven
// by the declarative http_async provider, config/vendors/fluxjobs.json),
// served under "/flux":
//   POST /flux/v1/{flux-dev|flux-pro|flux-pro-1.1}  {prompt, width, height,
//        seed, steps, guidance} (jobapi_flux_codec.h)
//        -> {"id":"<uuid>",
//            "polling_url":"http://<host>/flux/v1/get_result?id=<uuid>"}
//   GET  /flux/v1/get_result?id=<uuid>
//        -> {"id","status":"Pending|Processing|Ready|Error|Content Moderated",
//           "result":null|{"sample":url,"prompt","seed"},"progress":null|0..1,
//           "details":null|{"error":"..."}|{"Moderation Reasons":[...]}}
//   GET  /flux/files/<name>   result PNGs (no key needed)
// Errors come as HTTP statuses with FastAPI bodies: 403 {"detail":"Not
// authenticated"} without "x-key: <SimOptions.api_key>", 422 {"detail":
// [{"loc","msg","type"}]} for an invalid body or a missing id, 404
// {"detail":"Task not found"} for an unknown or vanished id, 404 {"detail":
// "Not Found"} for unknown paths, 405 for wrong methods; injected HTTP
// errors (ErrorResponse) are {"detail": message}.
//
// Timing: Pending for SimOptions.start_delay, Processing for steps x
// step_time, then Ready once the width x height PNG is rendered. Job
// faults, taken at submit: error_status ends the job as Error ("simulated
// generation failure"); vanish forgets it at once (get_result answers 404).
// A prompt holding "[moderate]" ends as Content Moderated.
//
// Threading: Route runs on server threads and never blocks; rendering runs
// on the backend's worker thread (see jobapi_backend.h).
#ifndef MEDIAGW_TOOLS_SIM_JOBAPI_FLUX_ROUTES_H_
#define MEDIAGW_TOOLS_SIM_JOBAPI_FLUX_ROUTES_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "net/http_server.h"
#include "tools/sim/faults.h"
#include "tools/sim/jobapi_backend.h"
#include "tools/sim/vendor_routes.h"

namespace mediagw::sim {

struct SimOptions;  // tools/sim/sim_server.h

class FluxRoutes : public VendorRoutes {
 public:
  // `faults` is not owned and must outlive the routes.
  FluxRoutes(const SimOptions& options, FaultRegistry* faults);

  absl::string_view Prefix() const override { return "/flux"; }
  std::optional<net::ServerResponse> Route(
      const net::ServerRequest& request, absl::string_view path,
      const std::shared_ptr<net::ResponseWriter>& writer) override;
  net::ServerResponse ErrorResponse(int status,
                                    absl::string_view message) const override;

 private:
  net::ServerResponse Submit(const net::ServerRequest& request);
  net::ServerResponse GetResult(const net::ServerRequest& request);

  const std::string api_key_;
  FaultRegistry* const faults_;  // submit counts; not owned
  JobApiBackend backend_;
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_JOBAPI_FLUX_ROUTES_H_
