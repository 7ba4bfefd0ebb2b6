#include "core/slot_queue.h"

#include <utility>

namespace mediagw {

SlotQueue::SlotQueue(int limit, Executor* executor)
    : limit_(limit < 1 ? 1 : limit), executor_(executor) {}

void SlotQueue::Acquire(std::function<void()> start) {
  {
    absl::MutexLock l(&mu_);
    if (in_use_ >= limit_) {
      waiting_.push_back(std::move(start));
      return;
    }
    ++in_use_;
  }
  start();
}

void SlotQueue::Release() {
  std::function<void()> next;
  {
    absl::MutexLock l(&mu_);
    if (waiting_.empty()) {
      if (in_use_ > 0) --in_use_;
      return;
    }
    // The slot passes straight to the oldest waiter.
    next = std::move(waiting_.front());
    waiting_.pop_front();
  }
  executor_->Schedule(std::move(next));
}

size_t SlotQueue::InUse() const {
  absl::MutexLock l(&mu_);
  return static_cast<size_t>(in_use_);
}

size_t SlotQueue::Waiting() const {
  absl::MutexLock l(&mu_);
  return waiting_.size();
}

}  // namespace mediagw
