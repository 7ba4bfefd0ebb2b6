// The simulated kie.ai jobs API, served under "/kie" (see
// docs/PROVIDERS.md "kie.ai jobs" and seed 002):
//   POST /kie/api/v1/jobs/createTask   {model, callBackUrl?, input}
//   GET  /kie/api/v1/jobs/recordInfo?taskId=
//   GET  /kie/files/<name>              result files (no key needed)
// Like kie, the API answers refusals with HTTP 200 and a body code: 401
// without "Authorization: Bearer <SimOptions.api_key>", 422 for a request
// that fails validation (kie_sim_codec.h), 404 "task not found" for an
// unknown or vanished taskId. Injected HTTP errors (http_500, http_status)
// are rendered the same way by ErrorResponse.
//
// A task is "waiting" for SimOptions.start_delay, "queuing" for one
// step_time and "generating" for at least kKieGenerateSteps step_times,
// until its outputs are rendered: a PNG (RenderPng, 1024 on the long side,
// shaped by input.aspect_ratio) for image models, an MP4 (RenderMp4, 256 on
// the long side) for video models. Result URLs are
// http://<Host header>/kie/files/<taskId>_0.<ext>.
// Job faults, taken when a task is created: error_status ends it as "fail"
// with failCode "500" and failMsg "simulated generation failure"; vanish
// forgets it when it would have ended (recordInfo then answers 404, and no
// callback is sent).
// When a task with a callBackUrl ends, the routes POST
// {"code":200|501,"msg","data":<recordInfo data>} to it, with
// X-Webhook-Timestamp (unix seconds) and X-Webhook-Signature =
// base64(HMAC-SHA256(SimOptions.webhook_hmac_key, taskId + "." +
// timestamp)). One attempt; the answer is ignored. image_urls are checked
// to be http(s) URLs but never fetched.
//
// Threading: Route runs on server threads and never blocks. Rendering runs
// on the routes' own worker thread; task endings and callbacks run on the
// loop thread of the routes' own CurlMultiClient. The destructor stops both
// (pending renders and callbacks are dropped).
#ifndef MEDIAGW_TOOLS_SIM_KIE_ROUTES_H_
#define MEDIAGW_TOOLS_SIM_KIE_ROUTES_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/thread_pool.h"
#include "net/curl_multi_client.h"
#include "net/http_server.h"
#include "tools/sim/faults.h"
#include "tools/sim/kie_jobs.h"
#include "tools/sim/kie_sim_codec.h"
#include "tools/sim/vendor_routes.h"

namespace mediagw::sim {

struct SimOptions;  // tools/sim/sim_server.h

inline constexpr int kKieGenerateSteps = 4;
inline constexpr int kKieImageSide = 1024;
inline constexpr int kKieVideoSide = 256;
inline constexpr int kKieVideoFrames = 16;

class KieRoutes : public VendorRoutes {
 public:
  // `faults` is not owned and must outlive the routes.
  KieRoutes(const SimOptions& options, FaultRegistry* faults);
  ~KieRoutes() override;
  KieRoutes(const KieRoutes&) = delete;
  KieRoutes& operator=(const KieRoutes&) = delete;

  absl::string_view Prefix() const override { return "/kie"; }
  std::optional<net::ServerResponse> Route(
      const net::ServerRequest& request, absl::string_view path,
      const std::shared_ptr<net::ResponseWriter>& writer) override;
  // HTTP 200 {"code": status, "msg": message, "data": null}.
  net::ServerResponse ErrorResponse(int status,
                                    absl::string_view message) const override;

 private:
  net::ServerResponse CreateTask(const net::ServerRequest& request);
  net::ServerResponse RecordInfo(const net::ServerRequest& request);
  net::ServerResponse GetFile(absl::string_view name) const;
  bool Authorized(const net::ServerRequest& request) const;

  // Worker thread: renders the outputs, then ends the task at `done_at`.
  void Render(const std::string& task_id, const KieCreateRequest& request,
              absl::Time done_at);
  // Loop thread.
  void SendCallback(const KieJobs::Ended& ended);

  const std::string api_key_;
  const std::string webhook_hmac_key_;
  FaultRegistry* const faults_;
  KieJobs jobs_;
  std::atomic<bool> stopping_{false};
  ThreadPool render_pool_;
  net::CurlMultiClient http_;
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_KIE_ROUTES_H_
