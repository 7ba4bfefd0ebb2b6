// A cancel or a deadline that races a submit in flight: the answer that
// arrives later is not dropped while the upstream job runs on (and bills);
// the job is cancelled upstream first, and only then does the task end.
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/task_service_fixture.h"

namespace mediagw::testing {
namespace {

using google::protobuf::util::TimeUtil;

class CancelRaceTest : public TaskServiceTest {};

SubmitResult Accepted(const std::string& id) {
  SubmitResult r;
  r.upstream_id = id;
  return r;
}

TEST_F(CancelRaceTest, CancelDuringSubmitCancelsTheJobWhenItsAnswerArrives) {
  Init();
  p1_->HoldSubmits(true);
  std::string id = Submit().id();
  Pump();
  ASSERT_EQ(p1_->Submits().size(), 1u);
  ASSERT_EQ(StateOf(id), v1::TASK_STATE_SUBMITTING);

  auto canceled = Cancel(id);
  ASSERT_TRUE(canceled.ok()) << canceled.status();
  // The request is upstream: the task waits for the answer, durably marked.
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_SUBMITTING);
  EXPECT_TRUE(Stored(id).cancel_requested());
  EXPECT_TRUE(p1_->Cancels().empty());

  p1_->ReleaseSubmit(Accepted("up-1"));
  Pump();
  ASSERT_EQ(p1_->Cancels().size(), 1u);
  EXPECT_EQ(p1_->Cancels()[0].upstream_id(), "up-1");
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_CANCELED);
  EXPECT_EQ(Stored(id).upstream_id(), "up-1");
  EXPECT_TRUE(Stored(id).upstream_accepted());
  ExpectCleanHistory(id);
}

TEST_F(CancelRaceTest, DeadlineDuringSubmitEndsTimedOutAfterTheUpstreamCancel) {
  DispatcherOptions o;
  Init(o);
  p1_->HoldSubmits(true);
  std::string id = Submit().id();
  Pump();
  ASSERT_EQ(StateOf(id), v1::TASK_STATE_SUBMITTING);
  AdvanceAndPump(absl::Minutes(11));  // past the 10 min deadline
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_SUBMITTING);
  EXPECT_TRUE(Stored(id).cancel_requested());

  p1_->ReleaseSubmit(Accepted("up-2"));
  Pump();
  ASSERT_EQ(p1_->Cancels().size(), 1u);
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_TIMED_OUT);
  EXPECT_EQ(Stored(id).task().error().code(), "DEADLINE_EXCEEDED");
}

TEST_F(CancelRaceTest, ASubmitRefusedAfterTheCancelEndsCanceledWithoutFailover) {
  Init();
  p1_->HoldSubmits(true);
  std::string id = Submit().id();
  Pump();
  ASSERT_TRUE(Cancel(id).ok());
  p1_->ReleaseSubmit(absl::UnavailableError("busy"));  // would fail over
  Pump();
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_CANCELED);
  EXPECT_FALSE(Stored(id).upstream_accepted());
  EXPECT_EQ(p1_->Submits().size() + p2_->Submits().size(), 1u);
  EXPECT_TRUE(p1_->Cancels().empty());
}

TEST_F(CancelRaceTest, CancelBeforeAnySubmitEndsAtOnce) {
  DispatcherOptions o;
  o.max_active = 1;
  Init(o);
  p1_->HoldSubmits(true);
  Submit();  // takes the only slot
  std::string waiting = Submit().id();
  ASSERT_EQ(StateOf(waiting), v1::TASK_STATE_PENDING);
  ASSERT_TRUE(Cancel(waiting).ok());
  EXPECT_EQ(StateOf(waiting), v1::TASK_STATE_CANCELED);
  EXPECT_FALSE(Stored(waiting).cancel_requested());
}

// A crash after the job id was stored but before the upstream cancel: the
// paid job is not forgotten; recovery cancels it and ends the task.
TEST_F(CancelRaceTest, RecoveryFinishesARequestedCancel) {
  Init();
  TaskRecord r;
  r.mutable_task()->set_id("t-crash");
  r.mutable_task()->set_state(v1::TASK_STATE_QUEUED);
  r.mutable_task()->set_workflow("default");
  r.set_owner("alice");
  r.set_channel("c1");
  r.set_upstream_id("up-3");
  r.set_upstream_accepted(true);
  r.set_cancel_requested(true);
  r.set_cancel_state(v1::TASK_STATE_CANCELED);
  r.set_version(5);
  *r.mutable_deadline() = TimeUtil::SecondsToTimestamp(
      absl::ToUnixSeconds(clock_.Now() + absl::Minutes(10)));
  store_.Seed(r);
  ASSERT_TRUE(dispatcher_->Recover().ok());
  Pump();
  ASSERT_EQ(p1_->Cancels().size(), 1u);
  EXPECT_EQ(p1_->Cancels()[0].upstream_id(), "up-3");
  EXPECT_EQ(StateOf("t-crash"), v1::TASK_STATE_CANCELED);
  EXPECT_TRUE(p1_->Polls().empty());
}

// A task that waited in the store past its deadline (every slot busy) ends
// TIMED_OUT when it is loaded, and nothing is sent upstream for it.
TEST_F(CancelRaceTest, ATaskLoadedPastItsDeadlineIsNeverSent) {
  DispatcherOptions o;
  o.max_active = 1;
  Init(o);
  p1_->HoldSubmits(true);
  std::string first = Submit().id();  // takes the only slot
  std::string waiting = Submit().id();
  ASSERT_EQ(StateOf(waiting), v1::TASK_STATE_PENDING);
  clock_.Advance(absl::Minutes(11));  // both are past their deadline
  p1_->ReleaseSubmit(Accepted("up-9"));
  Pump();
  EXPECT_EQ(StateOf(first), v1::TASK_STATE_TIMED_OUT);
  EXPECT_EQ(StateOf(waiting), v1::TASK_STATE_TIMED_OUT);
  EXPECT_EQ(p1_->Submits().size(), 1u) << "the expired task was sent";
}

// Every timer a task sets (here a failover's backoff) is cancelled when the
// task retires: none fires for it later, and none keeps it alive.
TEST_F(CancelRaceTest, RetiringATaskCancelsItsTimers) {
  Init();
  p1_->ScriptSubmit(absl::UnavailableError("busy"));
  std::string id = Submit("multi").id();
  Pump();
  ASSERT_EQ(StateOf(id), v1::TASK_STATE_PENDING);  // waiting to fail over
  ASSERT_GT(scheduler_.Pending(), 0u);
  ASSERT_TRUE(Cancel(id).ok());
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_CANCELED);
  EXPECT_EQ(scheduler_.Pending(), 0u);
  AdvanceAndPump(absl::Minutes(1));
  EXPECT_TRUE(p2_->Submits().empty());
}

// Another writer (the backlog sweep racing the loader, a second replica)
// ends a task the dispatcher drives: the dispatcher's next write is refused,
// it reloads the record, finds it ended, and lets the task go (its slots,
// its timers) instead of driving a finished task until shutdown.
TEST_F(CancelRaceTest, ATaskEndedByAnotherWriterRetires) {
  DispatcherOptions o;
  o.max_active = 1;
  Init(o);
  const std::string id = Submit().id();
  const std::string next = Submit().id();
  ASSERT_EQ(StateOf(id), v1::TASK_STATE_QUEUED);
  ASSERT_EQ(StateOf(next), v1::TASK_STATE_PENDING);
  TaskRecord ended = Stored(id);
  ended.set_version(ended.version() + 1);
  ended.mutable_task()->set_state(v1::TASK_STATE_TIMED_OUT);
  store_.Seed(ended);
  p1_->ScriptPoll(id, Running(0.5));  // its write meets the newer version
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_TIMED_OUT);
  EXPECT_EQ(p1_->Watched(id), std::optional<bool>(false));
  // The slot went to the waiting task.
  EXPECT_EQ(StateOf(next), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(dispatcher_->ActiveCount(), 1u);
}

}  // namespace
}  // namespace mediagw::testing
