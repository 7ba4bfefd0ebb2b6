#include "core/event_bus.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

using ::testing::ElementsAre;

v1::Task TaskWithId(const std::string& id, v1::TaskState state) {
  v1::Task t;
  t.set_id(id);
  t.set_state(state);
  return t;
}

TEST(InProcessEventBusTest, DeliversOnlyToSubscribersOfThatTask) {
  InProcessEventBus bus;
  std::vector<int64_t> a, b;
  bus.Subscribe("a", [&](const v1::Task& t, int64_t v) {
    EXPECT_EQ(t.id(), "a");
    a.push_back(v);
  });
  bus.Subscribe("b", [&](const v1::Task&, int64_t v) { b.push_back(v); });
  bus.Publish(TaskWithId("a", v1::TASK_STATE_QUEUED), 2);
  bus.Publish(TaskWithId("a", v1::TASK_STATE_RUNNING), 3);
  bus.Publish(TaskWithId("c", v1::TASK_STATE_RUNNING), 9);
  EXPECT_THAT(a, ElementsAre(2, 3));
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(bus.SubscriberCount(), 2u);
}

TEST(InProcessEventBusTest, SeveralSubscribersOfOneTask) {
  InProcessEventBus bus;
  int calls = 0;
  bus.Subscribe("a", [&](const v1::Task&, int64_t) { ++calls; });
  bus.Subscribe("a", [&](const v1::Task&, int64_t) { ++calls; });
  bus.Publish(TaskWithId("a", v1::TASK_STATE_QUEUED), 2);
  EXPECT_EQ(calls, 2);
}

TEST(InProcessEventBusTest, UnsubscribeStopsDelivery) {
  InProcessEventBus bus;
  int calls = 0;
  auto id = bus.Subscribe("a", [&](const v1::Task&, int64_t) { ++calls; });
  bus.Publish(TaskWithId("a", v1::TASK_STATE_QUEUED), 2);
  bus.Unsubscribe(id);
  bus.Unsubscribe(id);     // twice is harmless
  bus.Unsubscribe(12345);  // unknown is harmless
  bus.Publish(TaskWithId("a", v1::TASK_STATE_RUNNING), 3);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(bus.SubscriberCount(), 0u);
}

TEST(InProcessEventBusTest, UnsubscribeInsideListenerDoesNotDeadlock) {
  InProcessEventBus bus;
  int calls = 0;
  EventBus::SubscriptionId self = 0;
  self = bus.Subscribe("a", [&](const v1::Task&, int64_t) {
    ++calls;
    bus.Unsubscribe(self);
  });
  int other = 0;
  bus.Subscribe("a", [&](const v1::Task&, int64_t) { ++other; });
  bus.Publish(TaskWithId("a", v1::TASK_STATE_QUEUED), 2);
  bus.Publish(TaskWithId("a", v1::TASK_STATE_RUNNING), 3);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(other, 2);
  EXPECT_EQ(bus.SubscriberCount(), 1u);
}

TEST(InProcessEventBusTest, SubscribeAndPublishInsideListener) {
  InProcessEventBus bus;
  std::vector<std::string> seen;
  bus.Subscribe("a", [&](const v1::Task&, int64_t) {
    seen.push_back("a");
    bus.Subscribe("b", [&](const v1::Task&, int64_t) { seen.push_back("b"); });
    bus.Publish(TaskWithId("b", v1::TASK_STATE_QUEUED), 1);
  });
  bus.Publish(TaskWithId("a", v1::TASK_STATE_QUEUED), 1);
  EXPECT_THAT(seen, ElementsAre("a", "b"));
}

TEST(InProcessEventBusTest, SubscriptionIdsAreUnique) {
  InProcessEventBus bus;
  auto x = bus.Subscribe("a", [](const v1::Task&, int64_t) {});
  auto y = bus.Subscribe("a", [](const v1::Task&, int64_t) {});
  EXPECT_NE(x, y);
  EXPECT_NE(x, 0u);
}

}  // namespace
}  // namespace mediagw
