#include "common/thread_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

TEST(ThreadPoolTest, RunsEveryTaskOffTheCallingThread) {
  ThreadPool pool(2);
  constexpr int kTasks = 100;
  absl::BlockingCounter done(kTasks);
  std::atomic<int> inline_runs{0};
  const auto caller = std::this_thread::get_id();
  for (int i = 0; i < kTasks; ++i) {
    pool.Schedule([&] {
      if (std::this_thread::get_id() == caller) ++inline_runs;
      done.DecrementCount();
    });
  }
  done.Wait();
  EXPECT_EQ(inline_runs.load(), 0);
}

TEST(ThreadPoolTest, SingleThreadRunsInFifoOrder) {
  std::vector<int> order;
  absl::Mutex mu;
  {
    ThreadPool pool(1);
    absl::Notification gate;
    pool.Schedule([&] {
      EXPECT_TRUE(gate.WaitForNotificationWithTimeout(absl::Seconds(10)));
    });
    for (int i = 0; i < 20; ++i) {
      pool.Schedule([&, i] {
        absl::MutexLock l(&mu);
        order.push_back(i);
      });
    }
    gate.Notify();
  }  // the destructor drains the queue
  ASSERT_EQ(order.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
}

TEST(ThreadPoolTest, DestructorDrainsQueuedTasks) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 50; ++i) pool.Schedule([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 50);
}

}  // namespace
}  // namespace mediagw

namespace mediagw {
namespace {

TEST(ThreadPoolShutdownTest, DrainsQueuedWorkThenRunsLateWorkInline) {
  ThreadPool pool(2);
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i) pool.Schedule([&ran] { ran.fetch_add(1); });
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 100);
  std::thread::id where;
  pool.Schedule([&where] { where = std::this_thread::get_id(); });
  EXPECT_EQ(where, std::this_thread::get_id());
  pool.Shutdown();  // idempotent
}

}  // namespace
}  // namespace mediagw
