#include "common/thread_pool.h"

namespace mediagw {

ThreadPool::ThreadPool(int n) {
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Loop(); });
}

ThreadPool::~ThreadPool() { Shutdown(); }

void ThreadPool::Shutdown() {
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  for (auto& t : threads_) t.join();
  // Anything queued after the last worker left runs here.
  for (;;) {
    std::function<void()> fn;
    {
      absl::MutexLock l(&mu_);
      if (queue_.empty()) {
        joined_ = true;
        return;
      }
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
  }
}

void ThreadPool::Schedule(std::function<void()> fn) {
  {
    absl::MutexLock l(&mu_);
    if (!joined_) {
      queue_.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

void ThreadPool::Loop() {
  for (;;) {
    std::function<void()> fn;
    {
      absl::MutexLock l(&mu_);
      mu_.Await(absl::Condition(
          +[](ThreadPool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return p->stopping_ || !p->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping and drained
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
  }
}

}  // namespace mediagw
