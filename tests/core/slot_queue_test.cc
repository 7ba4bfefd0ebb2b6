#include "core/slot_queue.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/core/fakes.h"

namespace mediagw {
namespace {

TEST(SlotQueueTest, StartsUpToTheLimitThenQueuesInOrder) {
  testing::ManualQueue executor;
  SlotQueue slots(2, &executor);
  std::vector<int> started;
  for (int i = 0; i < 4; ++i) slots.Acquire([&, i] { started.push_back(i); });
  EXPECT_EQ(started, (std::vector<int>{0, 1}));  // inline
  EXPECT_EQ(slots.InUse(), 2u);
  EXPECT_EQ(slots.Waiting(), 2u);
  slots.Release();
  EXPECT_EQ(started.size(), 2u);  // never inline in Release
  executor.RunAll();
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(slots.InUse(), 2u);
  slots.Release();
  slots.Release();
  executor.RunAll();
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2, 3}));
  slots.Release();
  slots.Release();
  EXPECT_EQ(slots.InUse(), 0u);
  EXPECT_EQ(slots.Waiting(), 0u);
}

TEST(SlotQueueTest, ALimitBelowOneIsOne) {
  testing::ManualQueue executor;
  SlotQueue slots(0, &executor);
  int started = 0;
  slots.Acquire([&] { ++started; });
  slots.Acquire([&] { ++started; });
  EXPECT_EQ(started, 1);
}

}  // namespace
}  // namespace mediagw
