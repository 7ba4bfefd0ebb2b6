// Fixed-size worker pool for work that must not run on the curl loop or in a
// gRPC reaction (blob writes, image decoding, store reads). Tasks run in FIFO
// order on one of `n` threads. The destructor drains queued tasks and joins.
#ifndef MEDIAGW_COMMON_THREAD_POOL_H_
#define MEDIAGW_COMMON_THREAD_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace mediagw {

class Executor {
 public:
  virtual ~Executor() = default;
  // Thread-safe. `fn` runs later on an executor thread, never inline.
  virtual void Schedule(std::function<void()> fn) = 0;
};

class ThreadPool : public Executor {
 public:
  explicit ThreadPool(int n);
  ~ThreadPool() override;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Schedule(std::function<void()> fn) override;

  // Runs everything queued, joins the threads; idempotent. Work scheduled
  // afterwards runs inline on the caller's thread, so late callbacks still
  // happen during shutdown.
  void Shutdown();

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool joined_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace mediagw

#endif  // MEDIAGW_COMMON_THREAD_POOL_H_
