// Webhook outbox rows on the task store's file: a row commits with the
// task write it rides (its terminal transition) or not at all, and the
// webhook store's own reads and writes (due rows, attempts, 410-disabled
// endpoints, replays, retention).
#include "store/sqlite/sqlite_webhook_store.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/store/sqlite/store_test_util.h"

namespace mediagw {
namespace {

using testing_util::MakeRecord;
using testing_util::Sync;

class SqliteWebhookStoreTest : public testing_util::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto store = SqliteTaskStore::Open(DbPath());
    ASSERT_TRUE(store.ok()) << store.status();
    tasks_ = std::move(*store);
    hooks_ = std::make_unique<SqliteWebhookStore>(tasks_.get());
  }

  static OutboxRow Row(const std::string& task, const std::string& url) {
    OutboxRow row;
    row.id = "msg_" + task;
    row.task_id = task;
    row.account_id = "alice";
    row.url = url;
    row.event = "completed";
    row.body = R"({"type":"task.completed"})";
    row.created_at_us = 1000;
    row.give_up_at_us = 1000 + 86400000000;
    return row;
  }

  absl::Status Insert(const std::string& task) {
    return Sync([&](auto cb) { tasks_->Insert(MakeRecord(task, "alice"), cb); });
  }

  // The terminal transition of `task` at `from_version`, with `rows`.
  absl::Status Finish(const std::string& task, int64_t from_version,
                      SideRows rows) {
    auto cur = tasks_->Get(task);
    if (!cur.ok()) return cur.status();
    TaskRecord next = *cur;
    next.set_version(from_version + 1);
    next.mutable_task()->set_state(v1::TASK_STATE_SUCCEEDED);
    return Sync([&](auto cb) { tasks_->Update(next, rows, cb); });
  }

  std::optional<WebhookHistory> HistoryOf(const std::string& task) {
    auto h = hooks_->History(task, 100);
    EXPECT_TRUE(h.ok()) << h.status();
    return h.ok() ? *h : std::nullopt;
  }

  std::unique_ptr<SqliteTaskStore> tasks_;
  std::unique_ptr<SqliteWebhookStore> hooks_;
};

TEST_F(SqliteWebhookStoreTest, OutboxRowCommitsWithItsTransition) {
  ASSERT_TRUE(Insert("t1").ok());
  SideRows rows;
  rows.outbox.push_back(Row("t1", "https://hooks.example/a"));
  ASSERT_TRUE(Finish("t1", 1, rows).ok());
  EXPECT_EQ(tasks_->Get("t1")->task().state(), v1::TASK_STATE_SUCCEEDED);
  auto h = HistoryOf("t1");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->entry.row.id, "msg_t1");
  EXPECT_EQ(h->entry.row.url, "https://hooks.example/a");
  EXPECT_EQ(h->entry.row.body, R"({"type":"task.completed"})");
  EXPECT_EQ(h->entry.state, OutboxState::kPending);
  EXPECT_EQ(h->entry.next_attempt_at_us, 1000);  // due at once
  auto due = hooks_->ListDue(2000, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].row.task_id, "t1");
}

TEST_F(SqliteWebhookStoreTest, LostCompareAndSwapWritesNoOutboxRow) {
  ASSERT_TRUE(Insert("t1").ok());
  SideRows rows;
  rows.outbox.push_back(Row("t1", "https://hooks.example/a"));
  // Version 5 is not stored: the swap is ABORTED and its row goes with it.
  EXPECT_EQ(Finish("t1", 5, rows).code(), absl::StatusCode::kAborted);
  EXPECT_FALSE(HistoryOf("t1").has_value());
  EXPECT_TRUE(hooks_->ListDue(1LL << 62, 10)->empty());
}

TEST_F(SqliteWebhookStoreTest, FailedOutboxRowUndoesItsTransition) {
  ASSERT_TRUE(Insert("t1").ok());
  ASSERT_TRUE(Insert("t2").ok());
  SideRows first;
  first.outbox.push_back(Row("t1", "https://hooks.example/a"));
  ASSERT_TRUE(Finish("t1", 1, first).ok());
  // A row whose id is taken fails, and the transition it rode is undone.
  SideRows clash;
  OutboxRow r = Row("t2", "https://hooks.example/b");
  r.id = "msg_t1";
  clash.outbox.push_back(r);
  EXPECT_EQ(Finish("t2", 1, clash).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(tasks_->Get("t2")->task().state(), v1::TASK_STATE_PENDING);
  EXPECT_EQ(tasks_->Get("t2")->version(), 1);
  EXPECT_FALSE(HistoryOf("t2").has_value());
}

TEST_F(SqliteWebhookStoreTest, AttemptsMoveTheRowAndAreListed) {
  ASSERT_TRUE(Insert("t1").ok());
  SideRows rows;
  rows.outbox.push_back(Row("t1", "https://hooks.example/a"));
  ASSERT_TRUE(Finish("t1", 1, rows).ok());

  AttemptRow retry;
  retry.outbox_id = "msg_t1";
  retry.task_id = "t1";
  retry.at_us = 2000;
  retry.status_code = 503;
  retry.outcome = OutboxState::kPending;
  retry.next_attempt_at_us = 9000;
  ASSERT_TRUE(Sync([&](auto cb) { hooks_->RecordAttempt(retry, cb); }).ok());
  EXPECT_TRUE(hooks_->ListDue(8999, 10)->empty());
  EXPECT_EQ(hooks_->ListDue(9000, 10)->size(), 1u);

  AttemptRow ok = retry;
  ok.at_us = 9000;
  ok.status_code = 204;
  ok.outcome = OutboxState::kDelivered;
  ok.next_attempt_at_us = 0;
  ASSERT_TRUE(Sync([&](auto cb) { hooks_->RecordAttempt(ok, cb); }).ok());
  EXPECT_TRUE(hooks_->ListDue(1LL << 62, 10)->empty());
  // A delivered row takes no more attempts.
  EXPECT_EQ(Sync([&](auto cb) { hooks_->RecordAttempt(ok, cb); }).code(),
            absl::StatusCode::kNotFound);

  auto h = HistoryOf("t1");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->entry.state, OutboxState::kDelivered);
  EXPECT_EQ(h->entry.attempts, 2);
  ASSERT_EQ(h->attempts.size(), 2u);
  EXPECT_EQ(h->attempts[0].status_code, 503);
  EXPECT_EQ(h->attempts[0].next_attempt_at_us, 9000);
  EXPECT_EQ(h->attempts[1].status_code, 204);
}

TEST_F(SqliteWebhookStoreTest, GoneDisablesTheEndpointUntilReplay) {
  for (const char* t : {"t1", "t2"}) {
    ASSERT_TRUE(Insert(t).ok());
    SideRows rows;
    rows.outbox.push_back(Row(t, "https://hooks.example/gone"));
    ASSERT_TRUE(Finish(t, 1, rows).ok());
  }
  AttemptRow gone;
  gone.outbox_id = "msg_t1";
  gone.task_id = "t1";
  gone.status_code = 410;
  gone.outcome = OutboxState::kDisabled;
  gone.disable_endpoint = true;
  gone.account_id = "alice";
  gone.url = "https://hooks.example/gone";
  ASSERT_TRUE(Sync([&](auto cb) { hooks_->RecordAttempt(gone, cb); }).ok());
  auto due = hooks_->ListDue(1LL << 62, 10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].row.task_id, "t2");
  EXPECT_TRUE((*due)[0].endpoint_disabled);

  // The owner's replay enables the endpoint again and makes t1 due.
  ASSERT_TRUE(Sync([&](auto cb) { hooks_->Replay("t1", 5000, 6000, cb); }).ok());
  due = hooks_->ListDue(5000, 10);
  ASSERT_EQ(due->size(), 2u);
  for (const OutboxEntry& e : *due) EXPECT_FALSE(e.endpoint_disabled);
  EXPECT_EQ(HistoryOf("t1")->entry.row.give_up_at_us, 6000);
  EXPECT_EQ(Sync([&](auto cb) { hooks_->Replay("nope", 1, 2, cb); }).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteWebhookStoreTest, RetentionDeletesTheDeliveryWithItsTask) {
  ASSERT_TRUE(Insert("t1").ok());
  SideRows rows;
  rows.outbox.push_back(Row("t1", "https://hooks.example/a"));
  ASSERT_TRUE(Finish("t1", 1, rows).ok());
  ASSERT_TRUE(
      Sync([&](auto cb) { tasks_->DeleteTerminal({"t1"}, cb); }).ok());
  EXPECT_FALSE(HistoryOf("t1").has_value());
}

}  // namespace
}  // namespace mediagw
