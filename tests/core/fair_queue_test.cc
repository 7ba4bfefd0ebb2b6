#include "core/fair_queue.h"

#include <iostream>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/task_service_fixture.h"

namespace mediagw {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::mediagw::testing::Succeeded;
using ::mediagw::testing::TaskServiceTest;

TEST(FairQueueTest, ADeepQueueTakesTurnsWithAShallowOne) {
  FairQueue q;
  std::vector<std::string> served;
  int64_t a_left = 5000, b_left = 1;
  for (int slot = 0; slot < 4; ++slot) {
    auto shares = q.Allocate({{"a", a_left}, {"b", b_left}}, 1, nullptr);
    ASSERT_EQ(shares.size(), 1u);
    served.push_back(shares[0].first);
    (shares[0].first == "a" ? a_left : b_left) -= 1;
  }
  // b's one task gets one of the first two slots; then a has them all.
  EXPECT_THAT(served, ElementsAre("a", "b", "a", "a"));
}

TEST(FairQueueTest, WeightsSplitSlotsInProportion) {
  FairQueue q;
  std::map<std::string, int> got;
  for (int round = 0; round < 10; ++round) {
    for (const auto& [owner, n] :
         q.Allocate({{"gold", 1000}, {"std", 1000}}, 4,
                    [](const std::string& o) { return o == "gold" ? 3u : 1u; })) {
      got[owner] += n;
    }
  }
  EXPECT_EQ(got["gold"], 30);
  EXPECT_EQ(got["std"], 10);
}

TEST(FairQueueTest, NeverGivesMoreThanWaits) {
  FairQueue q;
  auto shares = q.Allocate({{"a", 2}, {"b", 1}}, 10, nullptr);
  EXPECT_THAT(shares, ElementsAre(Pair("a", 2), Pair("b", 1)));
  EXPECT_TRUE(q.Allocate({}, 3, nullptr).empty());
}

class FairAdmissionTest : public TaskServiceTest {};

// Account alice queues many tasks; bob then submits one. Bob's task must
// start within the next few slot turns, not after alice's backlog.
TEST_F(FairAdmissionTest, ASingleTaskIsNotStuckBehindAnotherAccountsBacklog) {
  DispatcherOptions o;
  o.max_active = 2;
  Init(o);
  std::vector<std::string> alice;
  for (int i = 0; i < 5000; ++i) alice.push_back(Submit().id());
  v1::SubmitImageRequest req;
  req.set_prompt("bob's");
  auto bob = SubmitRaw(req, bob_);
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_EQ(StateOf(bob->id()), v1::TASK_STATE_PENDING);

  // Finish running tasks one at a time (oldest first) and count the turns
  // until bob's starts.
  int turns = 0;
  for (size_t next = 0; turns < 10; ++turns) {
    if (StateOf(bob->id()) != v1::TASK_STATE_PENDING) break;
    while (next < alice.size() &&
           StateOf(alice[next]) != v1::TASK_STATE_QUEUED) {
      ++next;
    }
    ASSERT_LT(next, alice.size());
    p1_->ScriptPoll(alice[next], Succeeded("http://up.test/x.png"));
    AdvanceAndPump(absl::Seconds(1));
  }
  EXPECT_LE(turns, 2) << "bob waited " << turns << " slot turns";
  EXPECT_EQ(StateOf(bob->id()), v1::TASK_STATE_QUEUED);
  // Reported in docs/ACCOUNTS.md.
  std::cout << "bob's task started after " << turns
            << " slot turn(s); alice's queue: " << dispatcher_->WaitingCount()
            << " waiting\n";
  EXPECT_GE(dispatcher_->WaitingCount(), 4990u);  // alice's queue is intact
}

}  // namespace
}  // namespace mediagw
