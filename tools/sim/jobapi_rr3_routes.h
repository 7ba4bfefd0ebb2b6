// The simulated RR3 job API (an async JSON job API with numeric job ids,
// driven by the declarative http_async provider; config/vendors/rr3.json),
// served under "/rr3":
//   POST /rr3/api/v1/generate           {prompt, negative_prompt, width,
//        height, steps, seed, cfg_scale, batch_size} (jobapi_rr3_codec.h)
//        -> {"code":0,"msg":"ok","data":{"task_id":1234567890}}
//   GET  /rr3/api/v1/task/{task_id}
//        -> {"code":0,"msg":"ok","data":{"task_id","status":"PENDING|RUNNING|
//           SUCCESS|FAILED|CANCELLED","progress":0..100,"images":[url...],
//           "error":null|"..."}}
//   POST /rr3/api/v1/task/{task_id}/cancel -> the task, now CANCELLED
//   GET  /rr3/files/<name>               result PNGs (no key needed)
// Like many such APIs it answers refusals with HTTP 200 and a body code:
// 401 without "X-Api-Key: <SimOptions.api_key>", 400 for an invalid
// request, 404 "task not found" for an unknown or vanished task, 409 for
// cancelling a finished one. Unknown paths are HTTP 404 and wrong methods
// HTTP 405, in the same {"code","msg","data":null} shape, as are injected
// HTTP errors (ErrorResponse).
//
// Timing: PENDING for SimOptions.start_delay, RUNNING for steps x
// step_time, then SUCCESS once its batch_size PNGs (width x height,
// RenderPng) are rendered. Job faults, taken at submit: error_status ends
// the task FAILED ("simulated generation failure"); vanish forgets it at
// once (polls answer code 404). A prompt holding "[moderate]" ends FAILED
// as refused content. Result URLs are http://<Host header>/rr3/files/<name>.
//
// Threading: Route runs on server threads and never blocks; rendering runs
// on the backend's worker thread (see jobapi_backend.h).
#ifndef MEDIAGW_TOOLS_SIM_JOBAPI_RR3_ROUTES_H_
#define MEDIAGW_TOOLS_SIM_JOBAPI_RR3_ROUTES_H_

#include <atomic>
#include <cstdint>
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

class Rr3Routes : public VendorRoutes {
 public:
  // `faults` is not owned and must outlive the routes.
  Rr3Routes(const SimOptions& options, FaultRegistry* faults);

  absl::string_view Prefix() const override { return "/rr3"; }
  std::optional<net::ServerResponse> Route(
      const net::ServerRequest& request, absl::string_view path,
      const std::shared_ptr<net::ResponseWriter>& writer) override;
  net::ServerResponse ErrorResponse(int status,
                                    absl::string_view message) const override;

 private:
  net::ServerResponse Generate(const net::ServerRequest& request);
  net::ServerResponse Task(const net::ServerRequest& request,
                           absl::string_view id);
  net::ServerResponse CancelTask(absl::string_view id);

  const std::string api_key_;
  std::atomic<uint64_t> next_id_;
  FaultRegistry* const faults_;  // submit counts; not owned
  JobApiBackend backend_;
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_JOBAPI_RR3_ROUTES_H_
