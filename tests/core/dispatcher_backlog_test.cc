// The backlog (PENDING tasks waiting in the store while max_active tasks
// run) under deadlines: a waiting task ends TIMED_OUT close to its deadline,
// not only once a slot frees and it is loaded, and the sweep that finds
// such tasks reads the store in bounded batches and only while there is a
// backlog.
#include <string>
#include <vector>

#include "google/protobuf/util/time_util.h"
#include "tests/core/task_service_fixture.h"

namespace mediagw {
namespace {

using namespace ::mediagw::testing;  // NOLINT: the fixture and its helpers

class DispatcherBacklogTest : public TaskServiceTest {
 protected:
  DispatcherBacklogTest() {
    WorkflowInfo slow;
    slow.name = "slow";
    slow.default_cfg = 7;
    slow.deadline = absl::Hours(2);
    router_.AddWorkflow(slow, {"c1"});
  }
  void InitWithOneSlot(int batch = 256) {
    DispatcherOptions o;
    o.max_active = 1;
    o.backlog_sweep_batch = batch;
    Init(o);
  }
  absl::Time EndTime(const std::string& id) {
    return absl::FromUnixNanos(
        google::protobuf::util::TimeUtil::TimestampToNanoseconds(
            Stored(id).task().end_time()));
  }
};

TEST_F(DispatcherBacklogTest, AWaitingTaskTimesOutAtItsDeadline) {
  InitWithOneSlot();
  const std::string running = Submit("slow").id();  // holds the slot
  const absl::Time start = clock_.Now();
  std::vector<std::string> waiting;
  for (int i = 0; i < 3; ++i) waiting.push_back(Submit("default").id());
  ASSERT_EQ(StateOf(waiting[0]), v1::TASK_STATE_PENDING);
  for (int i = 0; i < 59; ++i) AdvanceAndPump(absl::Seconds(10));
  for (const auto& id : waiting) {
    EXPECT_EQ(StateOf(id), v1::TASK_STATE_PENDING);
  }
  AdvanceAndPump(absl::Seconds(9));  // 9:59 of their 10 minutes
  EXPECT_EQ(StateOf(waiting[0]), v1::TASK_STATE_PENDING);
  AdvanceAndPump(absl::Seconds(1));
  AdvanceAndPump(absl::Seconds(1));
  for (const auto& id : waiting) {
    const TaskRecord r = Stored(id);
    EXPECT_EQ(r.task().state(), v1::TASK_STATE_TIMED_OUT) << id;
    EXPECT_EQ(r.task().error().code(), "DEADLINE_EXCEEDED");
    EXPECT_EQ(r.task().error().message(),
              "task did not finish before its deadline");
    EXPECT_LE(EndTime(id) - start, absl::Minutes(10) + absl::Seconds(2));
    ExpectCleanHistory(id);
  }
  // Nothing went upstream for them, and the running task is untouched.
  EXPECT_EQ(p1_->Submits().size(), 1u);
  EXPECT_EQ(StateOf(running), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(dispatcher_->WaitingCount(), 0u);
  // The slot, once free, goes to the next task.
  p1_->ScriptPoll(running, Succeeded("http://up.test/r.png"));
  const std::string next = Submit("default").id();
  for (int i = 0; i < 20; ++i) AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(running), v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(StateOf(next), v1::TASK_STATE_QUEUED);
}

TEST_F(DispatcherBacklogTest, TheSweepReadsBoundedBatches) {
  InitWithOneSlot(/*batch=*/2);
  Submit("slow");
  std::vector<std::string> waiting;
  for (int i = 0; i < 5; ++i) waiting.push_back(Submit("default").id());
  AdvanceAndPump(absl::Minutes(10));
  AdvanceAndPump(absl::Seconds(1));
  for (const auto& id : waiting) {
    EXPECT_EQ(StateOf(id), v1::TASK_STATE_TIMED_OUT) << id;
  }
  // Three reads of at most two rows each (the last one short).
  EXPECT_GE(store_.OverdueLists(), 3);
}

TEST_F(DispatcherBacklogTest, NoBacklogNoStoreReads) {
  InitWithOneSlot();
  const std::string a = Submit("default").id();
  for (int i = 0; i < 30; ++i) AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(store_.OverdueLists(), 0);
  EXPECT_EQ(StateOf(a), v1::TASK_STATE_QUEUED);
}

}  // namespace
}  // namespace mediagw
