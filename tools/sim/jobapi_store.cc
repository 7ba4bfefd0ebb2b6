#include "tools/sim/jobapi_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace mediagw::sim {
namespace {

constexpr double kWaitingForRender = 0.99;

}  // namespace

JobApiStore::JobApiStore(JobApiTiming timing, size_t max_jobs)
    : timing_(timing), max_jobs_(std::max<size_t>(max_jobs, 1)) {}

bool JobApiStore::Create(const std::string& id, JobApiParams params,
                         std::optional<FaultMode> fault, absl::Time now) {
  if (fault == FaultMode::kVanish) return false;
  Job job;
  job.params = std::move(params);
  job.created = now;
  job.fail = fault == FaultMode::kErrorStatus;
  absl::MutexLock lock(&mu_);
  if (jobs_.count(id) > 0) EraseLocked(id);
  while (jobs_.size() >= max_jobs_ && !order_.empty()) {
    EraseLocked(order_.front());
  }
  jobs_.emplace(id, std::move(job));
  order_.push_back(id);
  return true;
}

void JobApiStore::AttachFiles(absl::string_view id,
                              std::vector<JobApiFile> files,
                              absl::string_view error) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second.rendered) return;
  Job& job = it->second;
  job.rendered = true;
  job.render_error = std::string(error);
  if (!error.empty()) return;
  for (size_t i = 0; i < files.size(); ++i) {
    std::string name = absl::StrCat(id, "_", i, ".png");
    files_[name] = std::move(files[i]);
    job.file_names.push_back(std::move(name));
  }
}

JobApiView JobApiStore::ViewOf(const Job& job, absl::Time now) const {
  JobApiView v;
  v.params = job.params;
  const absl::Time start = job.created + timing_.start_delay;
  const absl::Time end = start + timing_.step_time * job.params.steps;
  if (job.cancelled.has_value()) {
    v.phase = JobApiPhase::kCancelled;
    v.error = "cancelled by the client";
    return v;
  }
  if (now < start) return v;  // pending
  if (now < end) {
    v.phase = JobApiPhase::kRunning;
    v.progress = std::clamp(absl::FDivDuration(now - start, end - start), 0.0,
                            kWaitingForRender);
    return v;
  }
  if (job.fail) {
    v.phase = JobApiPhase::kFailed;
    v.error = "simulated generation failure";
    return v;
  }
  if (job.params.moderated) {
    v.phase = JobApiPhase::kFailed;
    v.moderated = true;
    v.error = "the prompt was flagged by content moderation";
    return v;
  }
  if (!job.rendered) {
    v.phase = JobApiPhase::kRunning;
    v.progress = kWaitingForRender;
    return v;
  }
  if (!job.render_error.empty()) {
    v.phase = JobApiPhase::kFailed;
    v.error = job.render_error;
    return v;
  }
  v.phase = JobApiPhase::kSucceeded;
  v.progress = 1;
  v.file_names = job.file_names;
  return v;
}

std::optional<JobApiView> JobApiStore::View(absl::string_view id,
                                            absl::Time now) const {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return ViewOf(it->second, now);
}

JobApiStore::CancelOutcome JobApiStore::Cancel(absl::string_view id,
                                               absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return CancelOutcome::kUnknown;
  const JobApiPhase phase = ViewOf(it->second, now).phase;
  if (phase == JobApiPhase::kCancelled) return CancelOutcome::kCancelled;
  if (phase != JobApiPhase::kPending && phase != JobApiPhase::kRunning) {
    return CancelOutcome::kAlreadyFinished;
  }
  it->second.cancelled = now;
  return CancelOutcome::kCancelled;
}

std::optional<JobApiFile> JobApiStore::File(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = files_.find(name);
  if (it == files_.end()) return std::nullopt;
  return it->second;
}

size_t JobApiStore::size() const {
  absl::MutexLock lock(&mu_);
  return jobs_.size();
}

void JobApiStore::EraseLocked(const std::string& id) {
  auto it = jobs_.find(id);
  if (it != jobs_.end()) {
    for (const std::string& name : it->second.file_names) files_.erase(name);
    jobs_.erase(it);
  }
  order_.erase(std::remove(order_.begin(), order_.end(), id), order_.end());
}

}  // namespace mediagw::sim
