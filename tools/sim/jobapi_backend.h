// What the simulated job APIs (rr3, flux) share behind their different
// wire shapes: the job table (jobapi_store.h), job faults taken when a job
// starts, PNG rendering on an own worker thread, and result URLs built from
// the request's Host header.
//
// Threading: every method is thread-safe and non-blocking; rendering runs
// on the backend's worker thread. The destructor skips renders not yet
// started and joins the worker.
#ifndef MEDIAGW_TOOLS_SIM_JOBAPI_BACKEND_H_
#define MEDIAGW_TOOLS_SIM_JOBAPI_BACKEND_H_

#include <atomic>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/thread_pool.h"
#include "net/http_server.h"
#include "tools/sim/faults.h"
#include "tools/sim/jobapi_store.h"

namespace mediagw::sim {

// Prompts holding this marker end as refused content (moderation), so
// tests can reach that state.
inline constexpr absl::string_view kModerationMarker = "[moderate]";

class JobApiBackend {
 public:
  JobApiBackend(JobApiTiming timing, size_t max_jobs, FaultRegistry* faults);
  ~JobApiBackend();
  JobApiBackend(const JobApiBackend&) = delete;
  JobApiBackend& operator=(const JobApiBackend&) = delete;

  // Starts job `id`: takes a job fault (error_status, vanish), counts the
  // job in the simulator's stats and schedules its rendering.
  void Start(const std::string& id, JobApiParams params);

  std::optional<JobApiView> View(absl::string_view id) const;
  JobApiStore::CancelOutcome Cancel(absl::string_view id);
  std::optional<JobApiFile> File(absl::string_view name) const;

  // "http://<Host header><prefix>", or nullopt when the Host header is not
  // a plain host[:port] that can be put into a URL as is.
  static std::optional<std::string> PublicBase(
      const net::ServerRequest& request, absl::string_view prefix);

 private:
  JobApiStore store_;
  FaultRegistry* const faults_;
  std::atomic<bool> stopping_{false};
  ThreadPool render_pool_;  // last: its threads use the members above
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_JOBAPI_BACKEND_H_
