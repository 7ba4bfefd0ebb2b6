#include "core/async_event_bus.h"

#include <utility>

namespace mediagw {

AsyncEventBus::AsyncEventBus(EventBus* inner)
    : inner_(inner), thread_([this] { Loop(); }) {}

AsyncEventBus::~AsyncEventBus() { Stop(); }

void AsyncEventBus::Stop() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  absl::MutexLock j(&join_mu_);
  if (thread_.joinable()) thread_.join();
}

EventBus::SubscriptionId AsyncEventBus::Subscribe(const std::string& task_id,
                                                  Listener listener) {
  return inner_->Subscribe(task_id, std::move(listener));
}

void AsyncEventBus::Unsubscribe(SubscriptionId id) { inner_->Unsubscribe(id); }

void AsyncEventBus::Publish(const v1::Task& task, int64_t version) {
  absl::MutexLock l(&mu_);
  if (stopping_) return;  // nobody is left to watch it
  auto [it, inserted] = latest_.try_emplace(task.id());
  // A later version replaces an earlier one still queued; its place in the
  // order stays, so no task waits behind a busier one's newer events.
  if (inserted) {
    order_.push_back(task.id());
  } else if (version <= it->second.version) {
    return;
  }
  it->second.task = task;
  it->second.version = version;
}

size_t AsyncEventBus::Pending() const {
  absl::MutexLock l(&mu_);
  return order_.size();
}

bool AsyncEventBus::HasWorkOrStopping() const {
  return stopping_ || !order_.empty();
}

void AsyncEventBus::Loop() {
  for (;;) {
    Event event;
    {
      absl::MutexLock l(&mu_);
      mu_.Await(absl::Condition(this, &AsyncEventBus::HasWorkOrStopping));
      if (order_.empty()) return;  // stopping, and everything delivered
      auto it = latest_.find(order_.front());
      order_.pop_front();
      event = std::move(it->second);
      latest_.erase(it);
    }
    // No lock held: listeners may publish, subscribe or unsubscribe.
    inner_->Publish(event.task, event.version);
  }
}

}  // namespace mediagw
