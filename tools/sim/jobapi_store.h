// The job table shared by the simulated declarative job APIs (rr3, flux;
// see jobapi_rr3_routes.h and jobapi_flux_routes.h). A job's phase is a
// function of time: pending for `start_delay` after creation, running for
// steps x `step_time` (progress rising linearly), then finished: failed
// (error_status fault, or a moderated prompt), succeeded once its images
// are rendered (running at 0.99 until then), or cancelled at any point
// before. A job created with the vanish fault is never stored: the vendor
// gave out an id it then forgets. The table holds at most `max_jobs` jobs;
// the oldest go first, with their files.
//
// No network, no timers: the caller passes the current time and renders
// the images itself (AttachFiles). Thread-safe; no callbacks.
#ifndef MEDIAGW_TOOLS_SIM_JOBAPI_STORE_H_
#define MEDIAGW_TOOLS_SIM_JOBAPI_STORE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tools/sim/faults.h"

namespace mediagw::sim {

struct JobApiTiming {
  absl::Duration start_delay = absl::Milliseconds(50);
  absl::Duration step_time = absl::Milliseconds(50);
};

struct JobApiParams {
  std::string prompt;
  int width = 512;
  int height = 512;
  int steps = 20;
  int64_t seed = 0;
  int count = 1;           // images to make
  bool moderated = false;  // the job ends failed, as refused content
};

enum class JobApiPhase { kPending, kRunning, kSucceeded, kFailed, kCancelled };

struct JobApiView {
  JobApiPhase phase = JobApiPhase::kPending;
  double progress = 0;                  // 0..1
  std::vector<std::string> file_names;  // kSucceeded only, in order
  std::string error;                    // kFailed only
  bool moderated = false;               // kFailed because of the prompt
  JobApiParams params;
};

struct JobApiFile {
  std::string content_type;
  std::string bytes;
};

class JobApiStore {
 public:
  JobApiStore(JobApiTiming timing, size_t max_jobs);

  // Records job `id` (unique; the vendor's choice) created at `now`. With
  // FaultMode::kVanish nothing is stored; kErrorStatus makes it fail when it
  // finishes. Returns whether the job was stored (and needs rendering).
  bool Create(const std::string& id, JobApiParams params,
              std::optional<FaultMode> fault, absl::Time now);

  // The rendered images of job `id`, named "<id>_<index>.png" for the
  // files route; `error` non-empty instead marks the rendering as failed.
  // Ignored for unknown jobs.
  void AttachFiles(absl::string_view id, std::vector<JobApiFile> files,
                   absl::string_view error = "");

  // The job as seen at `now`; nullopt when unknown (vanished or evicted).
  std::optional<JobApiView> View(absl::string_view id, absl::Time now) const;

  enum class CancelOutcome { kCancelled, kUnknown, kAlreadyFinished };
  CancelOutcome Cancel(absl::string_view id, absl::Time now);

  std::optional<JobApiFile> File(absl::string_view name) const;
  size_t size() const;

 private:
  struct Job {
    JobApiParams params;
    absl::Time created;
    bool fail = false;  // error_status fault
    std::optional<absl::Time> cancelled;
    bool rendered = false;
    std::string render_error;
    std::vector<std::string> file_names;
  };

  JobApiView ViewOf(const Job& job, absl::Time now) const;
  void EraseLocked(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const JobApiTiming timing_;
  const size_t max_jobs_;
  mutable absl::Mutex mu_;
  std::map<std::string, Job, std::less<>> jobs_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);  // creation order
  std::map<std::string, JobApiFile, std::less<>> files_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_JOBAPI_STORE_H_
