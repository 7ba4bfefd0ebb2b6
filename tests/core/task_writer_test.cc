#include "core/task_writer.h"

#include <optional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/fakes.h"

namespace mediagw {
namespace {

using ::testing::ElementsAre;
using ::mediagw::testing::FakeTaskStore;
using ::mediagw::testing::ManualQueue;

// Adds one ledger entry per write, or refuses the write.
class RecordingHook : public TransitionRows {
 public:
  absl::Status AddRows(const TaskRecord* before, TaskRecord* next,
                       SideRows* rows) override {
    if (!refuse.ok()) return refuse;
    LedgerEntry e;
    e.account_id = next->owner();
    e.task_id = next->task().id();
    e.kind = before == nullptr ? LedgerEntry::Kind::kHold
                               : LedgerEntry::Kind::kSettle;
    e.amount = 5;
    rows->ledger.push_back(e);
    return absl::OkStatus();
  }
  void Committed(const TaskRecord* before, const TaskRecord& next) override {
    committed.push_back({before != nullptr, next.version()});
  }
  absl::Status refuse;
  std::vector<std::pair<bool, int64_t>> committed;
};

class TaskWriterTest : public ::testing::Test {
 protected:
  TaskWriterTest() {
    writer_.AddHook(&hook_);
    bus_.Subscribe("t1", [this](const v1::Task& t, int64_t v) {
      events_.push_back({t.state(), v});
    });
  }

  TaskRecord NewRecord() {
    TaskRecord r;
    r.set_owner("acct");
    r.set_version(1);
    r.mutable_task()->set_id("t1");
    r.mutable_task()->set_state(v1::TASK_STATE_PENDING);
    return r;
  }

  absl::StatusOr<TaskRecord> Create(TaskRecord r) {
    std::optional<absl::StatusOr<TaskRecord>> out;
    writer_.Create(std::move(r), [&](absl::StatusOr<TaskRecord> x) { out = x; });
    queue_.RunAll();
    return out.value_or(absl::InternalError("no answer"));
  }

  absl::StatusOr<TaskRecord> Commit(const TaskRecord& cur, TaskRecord next) {
    std::optional<absl::StatusOr<TaskRecord>> out;
    writer_.Commit(cur, std::move(next),
                   [&](absl::StatusOr<TaskRecord> x) { out = x; });
    queue_.RunAll();
    return out.value_or(absl::InternalError("no answer"));
  }

  ManualQueue queue_;
  FakeTaskStore store_{&queue_};
  InProcessEventBus bus_;
  FakeClock clock_;
  TaskWriter writer_{&store_, &bus_, &clock_};
  RecordingHook hook_;
  std::vector<std::pair<v1::TaskState, int64_t>> events_;
};

TEST_F(TaskWriterTest, RowsCommitWithTheirTaskAndEventsFollowTheCommit) {
  auto made = Create(NewRecord());
  ASSERT_TRUE(made.ok()) << made.status();
  TaskRecord next = *made;
  next.mutable_task()->set_state(v1::TASK_STATE_CANCELED);
  auto done = Commit(*made, next);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->version(), 2);
  EXPECT_TRUE(done->task().has_update_time());
  auto rows = store_.SideRowsSeen();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].ledger.at(0).kind, LedgerEntry::Kind::kHold);
  EXPECT_EQ(rows[1].ledger.at(0).kind, LedgerEntry::Kind::kSettle);
  EXPECT_THAT(events_, ElementsAre(std::make_pair(v1::TASK_STATE_CANCELED,
                                                  int64_t{2})));
  EXPECT_THAT(hook_.committed,
              ElementsAre(std::make_pair(false, int64_t{1}),
                          std::make_pair(true, int64_t{2})));
}

TEST_F(TaskWriterTest, RefusesAChangeTheStateMachineForbids) {
  auto made = Create(NewRecord());
  ASSERT_TRUE(made.ok());
  TaskRecord next = *made;
  next.mutable_task()->set_state(v1::TASK_STATE_SUCCEEDED);  // from PENDING
  auto done = Commit(*made, next);
  EXPECT_EQ(done.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_.Get("t1")->version(), 1);
  EXPECT_TRUE(events_.empty());
}

TEST_F(TaskWriterTest, OnlyTheWinnerOfARacePublishes) {
  auto made = Create(NewRecord());
  ASSERT_TRUE(made.ok());
  TaskRecord a = *made, b = *made;
  a.mutable_task()->set_state(v1::TASK_STATE_CANCELED);
  b.mutable_task()->set_state(v1::TASK_STATE_TIMED_OUT);
  ASSERT_TRUE(Commit(*made, a).ok());
  EXPECT_EQ(Commit(*made, b).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(events_.size(), 1u);
  EXPECT_EQ(hook_.committed.size(), 2u);  // the create and the winner
}

TEST_F(TaskWriterTest, AHookThatRefusesStoresNothing) {
  hook_.refuse = absl::FailedPreconditionError("Insufficient balance");
  auto made = Create(NewRecord());
  EXPECT_EQ(made.status().message(), "Insufficient balance");
  EXPECT_EQ(store_.Size(), 0u);
  EXPECT_TRUE(hook_.committed.empty());
}

TEST_F(TaskWriterTest, BookkeepingIsStoredWithoutAnEvent) {
  auto made = Create(NewRecord());
  ASSERT_TRUE(made.ok());
  TaskRecord next = *made;
  next.set_submit_sent(true);
  auto done = Commit(*made, next);
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->task().has_update_time());
  EXPECT_TRUE(events_.empty());
}

}  // namespace
}  // namespace mediagw
