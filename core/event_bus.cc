#include "core/event_bus.h"

namespace mediagw {

EventBus::SubscriptionId InProcessEventBus::Subscribe(
    const std::string& task_id, Listener listener) {
  absl::MutexLock l(&mu_);
  SubscriptionId id = next_id_++;
  by_task_[task_id][id] = std::make_shared<Listener>(std::move(listener));
  task_of_[id] = task_id;
  return id;
}

void InProcessEventBus::Unsubscribe(SubscriptionId id) {
  absl::MutexLock l(&mu_);
  auto it = task_of_.find(id);
  if (it == task_of_.end()) return;
  auto t = by_task_.find(it->second);
  if (t != by_task_.end()) {
    t->second.erase(id);
    if (t->second.empty()) by_task_.erase(t);
  }
  task_of_.erase(it);
}

void InProcessEventBus::Publish(const v1::Task& task, int64_t version) {
  std::vector<std::shared_ptr<Listener>> targets;
  {
    absl::MutexLock l(&mu_);
    auto it = by_task_.find(task.id());
    if (it == by_task_.end()) return;
    targets.reserve(it->second.size());
    for (auto& [id, fn] : it->second) targets.push_back(fn);
  }
  for (auto& fn : targets) (*fn)(task, version);
}

size_t InProcessEventBus::SubscriberCount() const {
  absl::MutexLock l(&mu_);
  return task_of_.size();
}

}  // namespace mediagw
