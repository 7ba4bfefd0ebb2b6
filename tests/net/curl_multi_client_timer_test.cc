// Scheduler side of CurlMultiClient: the timer heap on the curl loop.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "tests/fakes/fake_upstream.h"

namespace mediagw::net {
namespace {

using fakes::FakeUpstream;
using ::testing::ElementsAre;

constexpr absl::Duration kWait = absl::Seconds(10);

HttpRequest Get(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  return r;
}

TEST(CurlMultiClientTest, TimersFireInDeadlineOrder) {
  CurlMultiClient client;
  absl::Mutex mu;
  std::vector<int> order;
  absl::Notification all;
  auto record = [&](int v) {
    return [&, v] {
      absl::MutexLock l(&mu);
      order.push_back(v);
      if (order.size() == 5) all.Notify();
    };
  };
  absl::Time now = client.Now();
  client.RunAt(now + absl::Milliseconds(150), record(3));
  client.RunAt(now + absl::Milliseconds(50), record(1));
  client.RunAt(now + absl::Milliseconds(100), record(2));
  client.RunAt(now + absl::Milliseconds(150), record(4));  // tie: FIFO
  client.RunAt(now - absl::Seconds(1), record(0));         // already due
  ASSERT_TRUE(all.WaitForNotificationWithTimeout(kWait));
  absl::MutexLock l(&mu);
  EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4));
}

TEST(CurlMultiClientTest, CancelledTimerDoesNotFire) {
  CurlMultiClient client;
  std::atomic<bool> cancelled_fired{false};
  absl::Notification later_fired;
  absl::Time now = client.Now();
  auto id = client.RunAt(now + absl::Milliseconds(50),
                         [&] { cancelled_fired = true; });
  client.RunAt(now + absl::Milliseconds(200), [&] { later_fired.Notify(); });
  client.Cancel(id);
  client.Cancel(id);        // twice is fine
  client.Cancel(9999999);   // unknown is ignored
  ASSERT_TRUE(later_fired.WaitForNotificationWithTimeout(kWait));
  EXPECT_FALSE(cancelled_fired);
}

TEST(CurlMultiClientTest, ManyCancelledTimersDoNotDisturbLiveOnes) {
  CurlMultiClient client;
  absl::Time now = client.Now();
  std::atomic<int> fired{0};
  absl::Notification last;
  for (int i = 0; i < 1000; ++i) {
    auto id = client.RunAt(now + absl::Hours(1), [&] { fired++; });
    client.Cancel(id);
  }
  client.RunAt(now + absl::Milliseconds(20), [&] { last.Notify(); });
  ASSERT_TRUE(last.WaitForNotificationWithTimeout(kWait));
  EXPECT_EQ(fired.load(), 0);
}

TEST(CurlMultiClientTest, TimerScheduledFromCallbacksFires) {
  CurlMultiClient client;
  FakeUpstream upstream;
  absl::Notification from_timer, from_http;
  client.RunAt(client.Now(), [&] {
    client.RunAt(client.Now() + absl::Milliseconds(20),
                 [&] { from_timer.Notify(); });
  });
  client.Send(Get(upstream.Url("/")), [&](absl::StatusOr<HttpResponse> r) {
    EXPECT_TRUE(r.ok());
    client.RunAt(client.Now() + absl::Milliseconds(20),
                 [&] { from_http.Notify(); });
  });
  EXPECT_TRUE(from_timer.WaitForNotificationWithTimeout(kWait));
  EXPECT_TRUE(from_http.WaitForNotificationWithTimeout(kWait));
}

TEST(CurlMultiClientTest, FakeClockTimersFireAfterAdvanceAndWakeup) {
  FakeClock clock;
  CurlMultiClient::Options options;
  options.clock = &clock;
  options.max_poll_wait = absl::Seconds(30);
  CurlMultiClient client(options);
  EXPECT_EQ(client.Now(), clock.Now());
  absl::Notification fired;
  client.RunAt(clock.Now() + absl::Hours(2), [&] { fired.Notify(); });
  EXPECT_FALSE(fired.WaitForNotificationWithTimeout(absl::Milliseconds(100)));
  clock.Advance(absl::Hours(2));
  client.Wakeup();
  EXPECT_TRUE(fired.WaitForNotificationWithTimeout(absl::Seconds(5)));
}

TEST(CurlMultiClientTest, SelfReArmingTimerDoesNotStarveTransfers) {
  FakeUpstream upstream;
  CurlMultiClient client;
  std::atomic<bool> stop{false};
  std::atomic<int> spins{0};
  std::function<void()> spin = [&] {
    ++spins;
    if (!stop) client.RunAt(client.Now(), spin);
  };
  client.RunAt(client.Now(), spin);
  absl::Notification got;
  client.Send(Get(upstream.Url("/")), [&](absl::StatusOr<HttpResponse> r) {
    EXPECT_TRUE(r.ok()) << r.status();
    stop = true;
    got.Notify();
  });
  EXPECT_TRUE(got.WaitForNotificationWithTimeout(kWait));
  stop = true;
  client.Shutdown();  // no timer may outlive the locals it references
  EXPECT_GT(spins.load(), 0);
}

}  // namespace
}  // namespace mediagw::net
