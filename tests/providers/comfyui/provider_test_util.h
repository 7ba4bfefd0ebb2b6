// Helpers for the ComfyUI provider tests: waiting on asynchronous provider
// callbacks with a bounded timeout, a recording ProviderListener, and
// records built the way the dispatcher builds them.
#ifndef MEDIAGW_TESTS_PROVIDERS_COMFYUI_PROVIDER_TEST_UTIL_H_
#define MEDIAGW_TESTS_PROVIDERS_COMFYUI_PROVIDER_TEST_UTIL_H_

#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/provider.h"

namespace mediagw::comfyui::testing {

constexpr absl::Duration kWait = absl::Seconds(15);

// Shared with the callback so a timed-out wait never leaves the callback
// writing into a dead stack frame.
template <typename T>
struct Slot {
  absl::Notification done;
  std::optional<T> value;
};

template <typename T>
std::pair<std::shared_ptr<Slot<T>>, std::function<void(T)>> MakeSlot() {
  auto slot = std::make_shared<Slot<T>>();
  return {slot, [slot](T v) {
            slot->value.emplace(std::move(v));
            slot->done.Notify();
          }};
}

template <typename T>
T Await(const std::shared_ptr<Slot<T>>& slot, T on_timeout) {
  if (!slot->done.WaitForNotificationWithTimeout(kWait)) return on_timeout;
  return std::move(*slot->value);
}

inline absl::StatusOr<SubmitResult> SubmitSync(
    Provider& p, const TaskRecord& r, const SubmitContext& ctx = {}) {
  auto [slot, cb] = MakeSlot<absl::StatusOr<SubmitResult>>();
  p.Submit(r, ctx, cb);
  return Await<absl::StatusOr<SubmitResult>>(
      slot, absl::DeadlineExceededError("test wait timed out"));
}

inline absl::StatusOr<SubmitResult> ResumeSync(
    Provider& p, const TaskRecord& r, const SubmitContext& ctx = {}) {
  auto [slot, cb] = MakeSlot<absl::StatusOr<SubmitResult>>();
  p.Resume(r, ctx, cb);
  return Await<absl::StatusOr<SubmitResult>>(
      slot, absl::DeadlineExceededError("test wait timed out"));
}

inline absl::StatusOr<PollResult> PollSync(Provider& p, const TaskRecord& r) {
  auto [slot, cb] = MakeSlot<absl::StatusOr<PollResult>>();
  p.Poll(r, cb);
  return Await<absl::StatusOr<PollResult>>(
      slot, absl::DeadlineExceededError("test wait timed out"));
}

inline absl::Status CancelSync(Provider& p, const TaskRecord& r) {
  auto [slot, cb] = MakeSlot<absl::Status>();
  p.Cancel(r, cb);
  return Await<absl::Status>(slot,
                             absl::DeadlineExceededError("test wait timed out"));
}

inline std::string ReadWorkflow(const std::string& name) {
  std::ifstream in(absl::StrCat(MEDIAGW_SOURCE_DIR, "/config/workflows/", name,
                                ".json"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A normalized text-to-image record for `workflow` with a preassigned id.
inline TaskRecord MakeRecord(const std::string& task_id,
                             const std::string& upstream_id,
                             const std::string& workflow = "default",
                             int steps = 4) {
  TaskRecord r;
  r.mutable_task()->set_id(task_id);
  r.mutable_task()->set_workflow(workflow);
  auto* req = r.mutable_request();
  req->set_prompt("a lighthouse at dusk");
  req->set_negative_prompt("blurry");
  req->set_width(64);
  req->set_height(64);
  req->set_steps(steps);
  req->set_seed(42);
  req->set_cfg(7);
  req->set_workflow(workflow);
  r.set_upstream_id(upstream_id);
  return r;
}

class RecordingListener : public ProviderListener {
 public:
  void OnProgress(const std::string& task_id, double progress) override {
    absl::MutexLock lock(&mu_);
    progress_.emplace_back(task_id, progress);
  }
  void OnHint(const std::string& task_id) override {
    absl::MutexLock lock(&mu_);
    hints_.push_back(task_id);
  }
  std::vector<std::pair<std::string, double>> Progress() const {
    absl::MutexLock lock(&mu_);
    return progress_;
  }
  std::vector<std::string> Hints() const {
    absl::MutexLock lock(&mu_);
    return hints_;
  }
  // Polls (in real time) until `pred` holds or `timeout` passes.
  bool WaitFor(const std::function<bool()>& pred,
               absl::Duration timeout = kWait) const {
    absl::Time end = absl::Now() + timeout;
    while (absl::Now() < end) {
      if (pred()) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return pred();
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::pair<std::string, double>> progress_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> hints_ ABSL_GUARDED_BY(mu_);
};

// The value of "prompt_id" in a JSON body, by plain text search.
inline std::string PromptIdIn(const std::string& body) {
  const std::string key = "\"prompt_id\":\"";
  size_t at = body.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  size_t end = body.find('"', at);
  return end == std::string::npos ? "" : body.substr(at, end - at);
}

}  // namespace mediagw::comfyui::testing

#endif  // MEDIAGW_TESTS_PROVIDERS_COMFYUI_PROVIDER_TEST_UTIL_H_
