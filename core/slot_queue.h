// A counting limit on concurrent work with a FIFO of waiters: at most
// `limit` holders at once; the others wait in arrival order.
//
// Threading: thread-safe. Acquire runs `start` inline on the calling thread
// when a slot is free; a waiter granted a slot by Release is started on the
// Executor (never inline in Release), so a chain of releases cannot nest
// calls, and no callback ever runs under the queue's lock.
//
// Contract: every started `start` must lead to exactly one Release.
#ifndef MEDIAGW_CORE_SLOT_QUEUE_H_
#define MEDIAGW_CORE_SLOT_QUEUE_H_

#include <cstddef>
#include <deque>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/thread_pool.h"

namespace mediagw {

class SlotQueue {
 public:
  // `limit` >= 1 (smaller values are taken as 1). `executor` not owned; it
  // must outlive the queue.
  SlotQueue(int limit, Executor* executor);

  void Acquire(std::function<void()> start);
  void Release();

  size_t InUse() const;
  size_t Waiting() const;

 private:
  const int limit_;
  Executor* const executor_;
  mutable absl::Mutex mu_;
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::function<void()>> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_SLOT_QUEUE_H_
