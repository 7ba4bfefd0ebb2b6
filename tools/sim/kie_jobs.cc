#include "tools/sim/kie_jobs.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/ids.h"

namespace mediagw::sim {
namespace {

int64_t Ms(absl::Time t) { return absl::ToUnixMillis(t); }

}  // namespace

KieJobs::KieJobs(KieJobTiming timing, size_t max_jobs)
    : timing_(timing), max_jobs_(std::max<size_t>(1, max_jobs)) {}

KieJobs::Created KieJobs::Create(const KieCreateRequest& request,
                                 std::string param, std::string files_base,
                                 absl::Time now) {
  Created created;
  created.task_id =
      absl::StrCat("task_", absl::StrReplaceAll(NewUuid(), {{"-", ""}}));
  created.done_at =
      now + timing_.waiting + timing_.queuing + timing_.generating;
  Job job;
  job.model = request.model;
  job.param = std::move(param);
  job.callback_url = request.callback_url;
  job.files_base = std::move(files_base);
  job.created = now;
  absl::MutexLock lock(&mu_);
  jobs_.emplace(created.task_id, std::move(job));
  order_.push_back(created.task_id);
  while (jobs_.size() > max_jobs_ && !order_.empty()) {
    std::string oldest = std::move(order_.front());
    order_.pop_front();
    EraseLocked(oldest);
  }
  return created;
}

KieJobs::Ended KieJobs::EndLocked(const std::string& task_id, Job& job,
                                  absl::Time now) {
  job.ended = now;
  Ended ended;
  ended.view = ViewOf(task_id, job, now);
  ended.callback_url = job.callback_url;
  return ended;
}

std::optional<KieJobs::Ended> KieJobs::Succeed(absl::string_view task_id,
                                               std::vector<KieFile> files,
                                               absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(task_id);
  if (it == jobs_.end() || it->second.ended.has_value()) return std::nullopt;
  it->second.state = "success";
  for (KieFile& f : files) {
    it->second.file_names.push_back(f.name);
    std::string name = f.name;
    files_.insert_or_assign(std::move(name), std::move(f));
  }
  return EndLocked(it->first, it->second, now);
}

std::optional<KieJobs::Ended> KieJobs::Fail(absl::string_view task_id,
                                            absl::string_view fail_code,
                                            absl::string_view fail_msg,
                                            absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(task_id);
  if (it == jobs_.end() || it->second.ended.has_value()) return std::nullopt;
  it->second.state = "fail";
  it->second.fail_code = std::string(fail_code);
  it->second.fail_msg = std::string(fail_msg);
  return EndLocked(it->first, it->second, now);
}

void KieJobs::Forget(absl::string_view task_id) {
  absl::MutexLock lock(&mu_);
  EraseLocked(std::string(task_id));
  order_.erase(std::remove(order_.begin(), order_.end(), task_id),
               order_.end());
}

void KieJobs::EraseLocked(const std::string& task_id) {
  auto it = jobs_.find(task_id);
  if (it == jobs_.end()) return;
  for (const std::string& name : it->second.file_names) files_.erase(name);
  jobs_.erase(it);
}

std::optional<KieTaskView> KieJobs::View(absl::string_view task_id,
                                         absl::Time now) const {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(task_id);
  if (it == jobs_.end()) return std::nullopt;
  return ViewOf(it->first, it->second, now);
}

KieTaskView KieJobs::ViewOf(const std::string& id, const Job& job,
                            absl::Time now) const {
  KieTaskView v;
  v.task_id = id;
  v.model = job.model;
  v.param = job.param;
  v.create_time_ms = Ms(job.created);
  const absl::Time queued_at = job.created + timing_.waiting;
  const absl::Time generating_at = queued_at + timing_.queuing;
  if (job.ended.has_value()) {
    v.state = job.state;
    v.update_time_ms = Ms(*job.ended);
    v.complete_time_ms = Ms(*job.ended);
    v.cost_time_ms = std::max<int64_t>(0, Ms(*job.ended) - Ms(generating_at));
    for (const std::string& name : job.file_names) {
      v.result_urls.push_back(absl::StrCat(job.files_base, "/", name));
    }
    v.fail_code = job.fail_code;
    v.fail_msg = job.fail_msg;
  } else if (now < queued_at) {
    v.state = "waiting";
    v.update_time_ms = v.create_time_ms;
  } else if (now < generating_at) {
    v.state = "queuing";
    v.update_time_ms = Ms(queued_at);
  } else {
    v.state = "generating";
    v.update_time_ms = Ms(generating_at);
  }
  return v;
}

std::optional<KieFile> KieJobs::File(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = files_.find(name);
  if (it == files_.end()) return std::nullopt;
  return it->second;
}

size_t KieJobs::size() const {
  absl::MutexLock lock(&mu_);
  return jobs_.size();
}

}  // namespace mediagw::sim
