#include "core/async_event_bus.h"

#include <atomic>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

v1::Task Task(const std::string& id) {
  v1::Task t;
  t.set_id(id);
  return t;
}

// A publisher never waits for a slow watcher, and what piles up behind it
// collapses to each task's latest event, in order.
TEST(AsyncEventBusTest, PublishDoesNotWaitAndCollapsesPerTask) {
  InProcessEventBus inner;
  AsyncEventBus bus(&inner);
  absl::Notification release, first_seen;
  std::vector<std::pair<std::string, int64_t>> seen;
  absl::Mutex mu;
  auto listener = [&](const v1::Task& t, int64_t v) {
    {
      absl::MutexLock l(&mu);
      seen.emplace_back(t.id(), v);
    }
    if (!first_seen.HasBeenNotified()) {
      first_seen.Notify();
      release.WaitForNotification();  // a slow watcher
    }
  };
  bus.Subscribe("a", listener);
  bus.Subscribe("b", listener);
  bus.Publish(Task("a"), 1);
  first_seen.WaitForNotification();
  // The fan-out thread is stuck in the listener; these return at once.
  for (int v = 2; v <= 100; ++v) bus.Publish(Task("a"), v);
  bus.Publish(Task("b"), 7);
  bus.Publish(Task("a"), 50);  // older than what is queued: dropped
  EXPECT_EQ(bus.Pending(), 2u);
  release.Notify();
  bus.Stop();
  absl::MutexLock l(&mu);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], std::make_pair(std::string("a"), int64_t{1}));
  EXPECT_EQ(seen[1], std::make_pair(std::string("a"), int64_t{100}));
  EXPECT_EQ(seen[2], std::make_pair(std::string("b"), int64_t{7}));
}

TEST(AsyncEventBusTest, StopDeliversWhatIsQueuedThenDropsLaterEvents) {
  InProcessEventBus inner;
  AsyncEventBus bus(&inner);
  std::atomic<int> n{0};
  bus.Subscribe("a", [&](const v1::Task&, int64_t) { ++n; });
  bus.Publish(Task("a"), 1);
  bus.Stop();
  EXPECT_EQ(n.load(), 1);
  bus.Publish(Task("a"), 2);
  bus.Stop();  // idempotent
  EXPECT_EQ(n.load(), 1);
}

}  // namespace
}  // namespace mediagw
