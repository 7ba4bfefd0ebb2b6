// The task table of the simulated kie.ai jobs API. A task is "waiting",
// then "queuing", then "generating" as time passes after its creation; it
// stays "generating" until the routes end it with Succeed or Fail (once its
// outputs are rendered), or is forgotten (the vanish fault). Finished tasks
// keep their result files, served under /kie/files/<name>. The table holds
// at most `max_jobs` tasks; the oldest go first, with their files.
//
// No network, no timers: the caller passes the current time and decides
// when a task ends. Thread-safe; no callbacks.
#ifndef MEDIAGW_TOOLS_SIM_KIE_JOBS_H_
#define MEDIAGW_TOOLS_SIM_KIE_JOBS_H_

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tools/sim/kie_sim_codec.h"

namespace mediagw::sim {

struct KieJobTiming {
  absl::Duration waiting = absl::Milliseconds(50);
  absl::Duration queuing = absl::Milliseconds(50);
  // Least time spent generating; rendering may take longer.
  absl::Duration generating = absl::Milliseconds(200);
};

struct KieFile {
  std::string name;  // "<taskId>_<index>.<ext>"
  std::string content_type;
  std::string bytes;
};

class KieJobs {
 public:
  KieJobs(KieJobTiming timing, size_t max_jobs);

  struct Created {
    std::string task_id;
    absl::Time done_at;  // when generating may end at the earliest
  };
  // Records an accepted task. `param` is the createTask body as received;
  // result URLs are `files_base` + "/" + file name.
  Created Create(const KieCreateRequest& request, std::string param,
                 std::string files_base, absl::Time now);

  // A task that has just ended, with where to send the callback ("" for
  // none).
  struct Ended {
    KieTaskView view;
    std::string callback_url;
  };
  // Ends a task with its outputs, or as failed. nullopt when the task is
  // unknown (forgotten or evicted) or has already ended.
  std::optional<Ended> Succeed(absl::string_view task_id,
                               std::vector<KieFile> files, absl::Time now);
  std::optional<Ended> Fail(absl::string_view task_id,
                            absl::string_view fail_code,
                            absl::string_view fail_msg, absl::Time now);
  // Drops a task and its files; recordInfo then answers 404.
  void Forget(absl::string_view task_id);

  // The task as recordInfo shows it at `now`; nullopt when unknown.
  std::optional<KieTaskView> View(absl::string_view task_id,
                                  absl::Time now) const;
  std::optional<KieFile> File(absl::string_view name) const;
  size_t size() const;

 private:
  struct Job {
    std::string model;
    std::string param;
    std::string callback_url;
    std::string files_base;
    absl::Time created;
    std::optional<absl::Time> ended;
    std::string state;  // "" while running, else "success" or "fail"
    std::vector<std::string> file_names;
    std::string fail_code;
    std::string fail_msg;
  };

  KieTaskView ViewOf(const std::string& id, const Job& job,
                     absl::Time now) const;
  Ended EndLocked(const std::string& task_id, Job& job, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(const std::string& task_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const KieJobTiming timing_;
  const size_t max_jobs_;
  mutable absl::Mutex mu_;
  std::map<std::string, Job, std::less<>> jobs_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);  // creation order
  std::map<std::string, KieFile, std::less<>> files_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_KIE_JOBS_H_
