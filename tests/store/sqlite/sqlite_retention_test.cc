// Retention on a real SQLite file: which rows ListExpired finds and
// DeleteTerminal removes, deletes group-committed with other writes, and the
// RetentionSweeper over the real store and blob folder on a fake clock.
#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/retention_sweeper.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/blob/local_blob_store.h"
#include "store/sqlite/sqlite_task_store.h"
#include "tests/core/fakes.h"
#include "tests/store/sqlite/store_test_util.h"

namespace mediagw {
namespace {

using testing_util::InsertSync;
using testing_util::MakeRecord;
using testing_util::Sync;
using ::testing::UnorderedElementsAre;
using testing::ManualQueue;
using testing::ManualScheduler;

constexpr int64_t kDayUs = int64_t{86400} * 1000000;
constexpr int64_t kNowUs = int64_t{1700000000} * 1000000;

class SqliteRetentionTest : public testing_util::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto store = SqliteTaskStore::Open(DbPath());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    TempDirTest::TearDown();
  }

  std::vector<std::string> ExpiredIds(int64_t before_us, int limit) {
    auto scan = store_->ListExpired(absl::FromUnixMicros(before_us), limit);
    EXPECT_TRUE(scan.ok()) << scan.status();
    std::vector<std::string> ids;
    for (const auto& r : scan->records) ids.push_back(r.task().id());
    return ids;
  }

  std::unique_ptr<SqliteTaskStore> store_;
};

TEST_F(SqliteRetentionTest, ListsAndDeletesOnlyOldTerminalTasks) {
  const int64_t old_us = kNowUs - 31 * kDayUs;
  for (auto [id, state] :
       std::vector<std::pair<std::string, v1::TaskState>>{
           {"ok", v1::TASK_STATE_SUCCEEDED},
           {"failed", v1::TASK_STATE_FAILED},
           {"canceled", v1::TASK_STATE_CANCELED},
           {"timed-out", v1::TASK_STATE_TIMED_OUT},
           {"pending", v1::TASK_STATE_PENDING},
           {"running", v1::TASK_STATE_RUNNING}}) {
    ASSERT_TRUE(InsertSync(*store_, MakeRecord(id, "o", state, old_us)).ok());
  }
  ASSERT_TRUE(InsertSync(*store_, MakeRecord("young", "o",
                                             v1::TASK_STATE_SUCCEEDED,
                                             kNowUs - 29 * kDayUs))
                  .ok());
  const int64_t cutoff = kNowUs - 30 * kDayUs;
  EXPECT_THAT(ExpiredIds(cutoff, 100),
              UnorderedElementsAre("ok", "failed", "canceled", "timed-out"));
  EXPECT_EQ(ExpiredIds(cutoff, 3).size(), 3u);
  EXPECT_TRUE(ExpiredIds(cutoff, 0).empty());
  EXPECT_TRUE(ExpiredIds(old_us, 100).empty());  // strictly before

  // Asked to delete everything, it deletes only the terminal rows.
  ASSERT_TRUE(Sync([&](TaskStore::DoneCallback cb) {
                store_->DeleteTerminal({"ok", "failed", "canceled",
                                        "timed-out", "pending", "running",
                                        "young", "never-existed"},
                                       cb);
              }).ok());
  for (const char* gone : {"ok", "failed", "canceled", "timed-out", "young"}) {
    EXPECT_EQ(store_->Get(gone).status().code(), absl::StatusCode::kNotFound)
        << gone;
  }
  EXPECT_TRUE(store_->Get("pending").ok());
  EXPECT_TRUE(store_->Get("running").ok());
  EXPECT_TRUE(ExpiredIds(cutoff, 100).empty());
}

TEST_F(SqliteRetentionTest, DeleteSharesTheGroupCommitWithSubmits) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(InsertSync(*store_, MakeRecord(absl::StrCat("old", i), "o",
                                               v1::TASK_STATE_SUCCEEDED,
                                               kNowUs - 40 * kDayUs))
                    .ok());
  }
  std::vector<std::string> ids = ExpiredIds(kNowUs - 30 * kDayUs, 500);
  ASSERT_EQ(ids.size(), 50u);
  // A delete queued between inserts: every write is acknowledged and the
  // inserts are all there.
  std::vector<std::shared_ptr<absl::Notification>> done;
  std::vector<std::shared_ptr<absl::Status>> results;
  auto track = [&]() {
    done.push_back(std::make_shared<absl::Notification>());
    results.push_back(std::make_shared<absl::Status>());
    return [d = done.back(), r = results.back()](absl::Status s) {
      *r = s;
      d->Notify();
    };
  };
  for (int i = 0; i < 20; ++i) {
    store_->Insert(MakeRecord(absl::StrCat("new", i), "o"), track());
    if (i == 10) store_->DeleteTerminal(ids, track());
  }
  for (size_t i = 0; i < done.size(); ++i) {
    ASSERT_TRUE(done[i]->WaitForNotificationWithTimeout(absl::Seconds(30)));
    EXPECT_TRUE(results[i]->ok()) << *results[i];
  }
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(store_->Get(absl::StrCat("new", i)).ok());
  }
  EXPECT_TRUE(ExpiredIds(kNowUs, 500).empty());
  EXPECT_FALSE(Sync([&](TaskStore::DoneCallback cb) {
                 store_->DeleteTerminal(std::vector<std::string>(1001, "x"),
                                        cb);
               }).ok());
}

TEST_F(SqliteRetentionTest, SweeperClearsARealStoreInBatches) {
  auto blobs = LocalBlobStore::Open(dir_ + "/uploads");
  ASSERT_TRUE(blobs.ok());
  FakeClock clock(absl::FromUnixMicros(kNowUs));
  ManualQueue executor;
  ManualScheduler scheduler(&clock);
  constexpr int kOld = 210;
  for (int i = 0; i < kOld; ++i) {
    const std::string id = absl::StrCat("old", i);
    TaskRecord r = MakeRecord(id, "o", v1::TASK_STATE_SUCCEEDED,
                              kNowUs - 31 * kDayUs);
    r.mutable_task()->add_outputs()->set_uri(
        absl::StrCat("http://h/uploads/", id, ".png"));
    ASSERT_TRUE((*blobs)->Put(id + ".png", "png").ok());
    // One group commit for all of them rather than an fsync each.
    store_->Insert(r, [](absl::Status s) { ASSERT_TRUE(s.ok()) << s; });
  }
  store_->Flush();
  ASSERT_TRUE(InsertSync(*store_, MakeRecord("young", "o",
                                             v1::TASK_STATE_SUCCEEDED,
                                             kNowUs - kDayUs))
                  .ok());
  ASSERT_TRUE((*blobs)->Put("young.png", "png").ok());

  RetentionOptions o;
  o.retention = absl::Hours(24 * 30);
  o.first_delay = absl::ZeroDuration();
  o.batch_size = 100;
  RetentionSweeper sweeper(
      RetentionSweeper::Deps{store_.get(), blobs->get(), &scheduler, &executor,
                             &clock},
      o);
  sweeper.Start();
  const uint64_t commits_before = store_->commit_count();
  // Each batch: a timer, the scan and file deletes on the executor, then
  // one write whose callback arrives on the store's writer thread.
  for (int round = 0; round < 10 && sweeper.tasks_deleted() < kOld; ++round) {
    scheduler.FireDue();
    executor.RunAll();
    store_->Flush();
    clock.Advance(o.pause);
  }
  EXPECT_EQ(sweeper.tasks_deleted(), kOld);
  EXPECT_EQ(sweeper.blobs_deleted(), kOld);
  EXPECT_EQ(store_->commit_count() - commits_before, 3u);  // 100+100+10
  sweeper.Stop();
  std::set<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/uploads")) {
    files.insert(e.path().filename().string());
  }
  EXPECT_EQ(files, (std::set<std::string>{"young.png"}));
  EXPECT_TRUE(store_->Get("young").ok());
  EXPECT_TRUE(ExpiredIds(kNowUs - 30 * kDayUs, 5000).empty());
}

}  // namespace
}  // namespace mediagw
