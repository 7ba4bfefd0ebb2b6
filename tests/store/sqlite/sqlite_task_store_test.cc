#include "store/sqlite/sqlite_task_store.h"

#include <fstream>
#include <string>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/sqlite/sqlite_db.h"
#include "tests/store/sqlite/store_test_util.h"

namespace mediagw {
namespace {

using testing_util::InsertSync;
using testing_util::MakeRecord;
using testing_util::UpdateSync;

class SqliteTaskStoreTest : public testing_util::TempDirTest {
 protected:
  std::unique_ptr<SqliteTaskStore> OpenStore() {
    auto store = SqliteTaskStore::Open(DbPath());
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // A second, raw connection for inspecting or damaging the file.
  std::unique_ptr<store::SqliteDb> RawDb() {
    auto db = store::SqliteDb::Open(DbPath(), /*read_only=*/false);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }
};

TEST_F(SqliteTaskStoreTest, InsertThenGet) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  TaskRecord in = MakeRecord("t1", "alice", v1::TASK_STATE_QUEUED);
  in.set_upstream_id("up-1");
  in.set_provider_state("{\"server\":2}");
  ASSERT_TRUE(InsertSync(*store, in).ok());

  absl::StatusOr<TaskRecord> out = store->Get("t1");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->SerializeAsString(), in.SerializeAsString());
  EXPECT_EQ(store->Get("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SqliteTaskStoreTest, DuplicateIdIsAlreadyExists) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(InsertSync(*store, MakeRecord("t1", "alice")).ok());
  EXPECT_EQ(InsertSync(*store, MakeRecord("t1", "bob")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->Get("t1")->owner(), "alice");
}

TEST_F(SqliteTaskStoreTest, InvalidWritesAreRejected) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  TaskRecord v2 = MakeRecord("t1", "alice");
  v2.set_version(2);
  EXPECT_EQ(InsertSync(*store, v2).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InsertSync(*store, MakeRecord("", "alice")).code(),
            absl::StatusCode::kInvalidArgument);
  TaskRecord v1 = MakeRecord("t1", "alice");
  EXPECT_EQ(UpdateSync(*store, v1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Get("t1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SqliteTaskStoreTest, IdempotencyKeyIsUniquePerOwner) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t t = 1700000000000000;
  ASSERT_TRUE(InsertSync(*store, MakeRecord("a1", "alice",
                                            v1::TASK_STATE_PENDING, t, "k"))
                  .ok());
  EXPECT_EQ(InsertSync(*store, MakeRecord("a2", "alice", v1::TASK_STATE_PENDING,
                                          t, "k"))
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(InsertSync(*store, MakeRecord("b1", "bob", v1::TASK_STATE_PENDING,
                                            t, "k"))
                  .ok());
  // Tasks without a key never collide.
  EXPECT_TRUE(InsertSync(*store, MakeRecord("a3", "alice")).ok());
  EXPECT_TRUE(InsertSync(*store, MakeRecord("a4", "alice")).ok());

  EXPECT_EQ(store->FindByIdempotencyKey("alice", "k").value(), "a1");
  EXPECT_EQ(store->FindByIdempotencyKey("bob", "k").value(), "b1");
  EXPECT_FALSE(store->FindByIdempotencyKey("carol", "k").value().has_value());
  EXPECT_FALSE(store->FindByIdempotencyKey("alice", "").value().has_value());
  EXPECT_EQ(store->Get("a2").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SqliteTaskStoreTest, AnExpiredIdempotencyKeyPassesToTheNextTask) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t t = 1700000000000000;
  const int64_t day = int64_t{86400} * 1000000;
  auto keyed = [&](const std::string& id, int64_t created, int64_t expires) {
    TaskRecord r = MakeRecord(id, "alice", v1::TASK_STATE_PENDING, created, "k");
    r.mutable_idempotency_expire_time()->set_seconds(expires / 1000000);
    return r;
  };
  ASSERT_TRUE(InsertSync(*store, keyed("old", t, t + day)).ok());
  // Within its time the key is taken ...
  EXPECT_EQ(InsertSync(*store, keyed("early", t + day - 1000000, t + 2 * day))
                .code(),
            absl::StatusCode::kAlreadyExists);
  // ... and at its expiry it goes to the new task.
  ASSERT_TRUE(InsertSync(*store, keyed("new", t + day, t + 2 * day)).ok());
  EXPECT_EQ(store->FindByIdempotencyKey("alice", "k").value(), "new");
  // The old task is still there, and updating it does not take the key back.
  TaskRecord old = store->Get("old").value();
  old.set_version(2);
  old.mutable_task()->set_state(v1::TASK_STATE_QUEUED);
  EXPECT_TRUE(UpdateSync(*store, old).ok());
  EXPECT_EQ(store->FindByIdempotencyKey("alice", "k").value(), "new");
  // A key without an expiry is kept for ever.
  ASSERT_TRUE(InsertSync(*store, MakeRecord("forever", "alice",
                                            v1::TASK_STATE_PENDING, t, "f"))
                  .ok());
  TaskRecord later = keyed("later", t + 1000 * day, t + 1001 * day);
  later.mutable_request()->set_idempotency_key("f");
  EXPECT_EQ(InsertSync(*store, later).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(SqliteTaskStoreTest, UpdateIsCompareAndSwap) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  TaskRecord r = MakeRecord("t1", "alice");
  ASSERT_TRUE(InsertSync(*store, r).ok());

  r.set_version(2);
  r.mutable_task()->set_state(v1::TASK_STATE_RUNNING);
  EXPECT_TRUE(UpdateSync(*store, r).ok());
  // A second writer that also read version 1 loses.
  TaskRecord stale = r;
  stale.mutable_task()->set_state(v1::TASK_STATE_CANCELED);
  EXPECT_EQ(UpdateSync(*store, stale).code(), absl::StatusCode::kAborted);
  r.set_version(3);
  r.mutable_task()->set_state(v1::TASK_STATE_SUCCEEDED);
  EXPECT_TRUE(UpdateSync(*store, r).ok());

  absl::StatusOr<TaskRecord> got = store->Get("t1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->version(), 3);
  EXPECT_EQ(got->task().state(), v1::TASK_STATE_SUCCEEDED);

  TaskRecord unknown = MakeRecord("ghost", "alice");
  unknown.set_version(2);
  EXPECT_EQ(UpdateSync(*store, unknown).code(), absl::StatusCode::kNotFound);
}

TEST_F(SqliteTaskStoreTest, FailedOpsDoNotFailTheirBatch) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(InsertSync(*store, MakeRecord("existing", "alice")).ok());

  // Hold the writer inside a callback so everything queued meanwhile is
  // committed as one batch.
  absl::Notification blocked, release;
  uint64_t commits_before = 0;
  store->Insert(MakeRecord("blocker", "alice"), [&](absl::Status s) {
    EXPECT_TRUE(s.ok()) << s;
    commits_before = store->commit_count();
    blocked.Notify();
    release.WaitForNotificationWithTimeout(absl::Seconds(30));
  });
  ASSERT_TRUE(blocked.WaitForNotificationWithTimeout(absl::Seconds(30)));

  absl::Mutex mu;
  std::vector<absl::Status> results(7);
  int pending = 7;
  auto cb = [&](int i) {
    return [&, i](absl::Status s) {
      absl::MutexLock lock(&mu);
      results[i] = s;
      --pending;
    };
  };
  TaskRecord bump = MakeRecord("existing", "alice", v1::TASK_STATE_RUNNING);
  bump.set_version(2);
  TaskRecord stale = bump;
  TaskRecord ghost = MakeRecord("ghost", "alice");
  ghost.set_version(2);
  TaskRecord fresh_v2 = MakeRecord("fresh", "alice", v1::TASK_STATE_QUEUED);
  fresh_v2.set_version(2);

  store->Insert(MakeRecord("fresh", "alice"), cb(0));
  store->Insert(MakeRecord("existing", "bob"), cb(1));  // duplicate id
  store->Update(bump, cb(2));
  store->Update(stale, cb(3));     // same expected version: loses
  store->Update(ghost, cb(4));     // unknown id
  store->Update(fresh_v2, cb(5));  // sees the insert earlier in the batch
  store->Insert(MakeRecord("other", "alice"), cb(6));
  release.Notify();

  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(
        mu.AwaitWithTimeout(absl::Condition(
                                +[](int* p) { return *p == 0; }, &pending),
                            absl::Seconds(30)));
  }
  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_EQ(results[1].code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(results[2].ok()) << results[2];
  EXPECT_EQ(results[3].code(), absl::StatusCode::kAborted);
  EXPECT_EQ(results[4].code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(results[5].ok()) << results[5];
  EXPECT_TRUE(results[6].ok()) << results[6];
  EXPECT_EQ(store->commit_count(), commits_before + 1);

  EXPECT_EQ(store->Get("existing")->task().state(), v1::TASK_STATE_RUNNING);
  EXPECT_EQ(store->Get("existing")->owner(), "alice");
  EXPECT_EQ(store->Get("fresh")->version(), 2);
  EXPECT_TRUE(store->Get("other").ok());
}

TEST_F(SqliteTaskStoreTest, ListNonTerminalReturnsOnlyActiveTasks) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const v1::TaskState states[] = {
      v1::TASK_STATE_PENDING,    v1::TASK_STATE_SUBMITTING,
      v1::TASK_STATE_QUEUED,     v1::TASK_STATE_RUNNING,
      v1::TASK_STATE_FINALIZING, v1::TASK_STATE_SUCCEEDED,
      v1::TASK_STATE_FAILED,     v1::TASK_STATE_CANCELED,
      v1::TASK_STATE_TIMED_OUT};
  int64_t t = 1700000000000000;
  for (v1::TaskState s : states) {
    ASSERT_TRUE(
        InsertSync(*store, MakeRecord(v1::TaskState_Name(s), "alice", s, t++))
            .ok());
  }
  absl::StatusOr<RecordScan> active = store->ListNonTerminal();
  ASSERT_TRUE(active.ok()) << active.status();
  std::vector<std::string> ids;
  for (const TaskRecord& r : active->records) ids.push_back(r.task().id());
  EXPECT_EQ(ids, (std::vector<std::string>{
                     "TASK_STATE_PENDING", "TASK_STATE_SUBMITTING",
                     "TASK_STATE_QUEUED", "TASK_STATE_RUNNING",
                     "TASK_STATE_FINALIZING"}));
}

TEST_F(SqliteTaskStoreTest, ListPaginatesNewestFirstWithFilters) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  // 24 alice tasks, every other one running; pairs share a timestamp so the
  // id breaks ties. Bob's tasks must never show up.
  const int64_t base = 1700000000000000;
  std::vector<std::string> running_newest_first;
  for (int i = 0; i < 24; ++i) {
    v1::TaskState s =
        i % 2 == 0 ? v1::TASK_STATE_RUNNING : v1::TASK_STATE_SUCCEEDED;
    std::string id = absl::StrCat("a", 100 + i);
    ASSERT_TRUE(
        InsertSync(*store, MakeRecord(id, "alice", s, base + (i / 4))).ok());
    ASSERT_TRUE(
        InsertSync(*store, MakeRecord(absl::StrCat("b", i), "bob", s, base + i))
            .ok());
    if (s == v1::TASK_STATE_RUNNING) {
      running_newest_first.insert(running_newest_first.begin(), id);
    }
  }

  ListFilter filter;
  filter.owner = "alice";
  filter.states = {v1::TASK_STATE_RUNNING};
  filter.page_size = 5;
  std::vector<std::string> seen;
  int pages = 0;
  do {
    absl::StatusOr<ListPage> page = store->List(filter);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    for (const TaskRecord& r : page->records) {
      EXPECT_EQ(r.owner(), "alice");
      EXPECT_EQ(r.task().state(), v1::TASK_STATE_RUNNING);
      seen.push_back(r.task().id());
    }
    EXPECT_LE(page->records.size(), 5u);
    filter.page_token = page->next_page_token;
  } while (!filter.page_token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, running_newest_first);

  // No filters: everything, default page size.
  ListFilter all;
  all.page_size = 0;
  absl::StatusOr<ListPage> page = store->List(all);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->records.size(), 48u);
  EXPECT_TRUE(page->next_page_token.empty());

  ListFilter two_states;
  two_states.owner = "bob";
  two_states.states = {v1::TASK_STATE_RUNNING, v1::TASK_STATE_SUCCEEDED};
  two_states.page_size = 100;
  EXPECT_EQ(store->List(two_states)->records.size(), 24u);

  ListFilter bad;
  bad.page_token = "%%% not a token";
  EXPECT_EQ(store->List(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteTaskStoreTest, StatesFiltersOfAnyLengthShareOneStatement) {
  // One read connection, so the count below is that connection's cache.
  SqliteOptions one_reader;
  one_reader.read_connections = 1;
  auto opened = SqliteTaskStore::Open(DbPath(), one_reader);
  ASSERT_TRUE(opened.ok()) << opened.status();
  auto store = *std::move(opened);
  int64_t t = 1700000000000000;
  for (int s = 1; s < v1::TaskState_ARRAYSIZE; ++s) {
    const auto state = static_cast<v1::TaskState>(s);
    ASSERT_TRUE(InsertSync(*store, MakeRecord(v1::TaskState_Name(state),
                                              "alice", state, t++))
                    .ok());
  }
  auto count = [&](std::vector<v1::TaskState> states) -> int {
    ListFilter f;
    f.owner = "alice";
    f.states = std::move(states);
    f.page_size = 100;
    auto page = store->List(f);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? static_cast<int>(page->records.size()) : -1;
  };
  EXPECT_EQ(count({v1::TASK_STATE_RUNNING}), 1);
  const size_t cached = store->CachedReadStatements();
  // Every prefix of the states, each state repeated k times: list lengths
  // 1..90, one statement shape.
  for (int n = 1; n < v1::TaskState_ARRAYSIZE; ++n) {
    for (int k = 1; k <= 10; ++k) {
      std::vector<v1::TaskState> states;
      for (int s = 1; s <= n; ++s) {
        for (int r = 0; r < k; ++r) {
          states.push_back(static_cast<v1::TaskState>(s));
        }
      }
      EXPECT_EQ(count(states), n) << n << " x" << k;
    }
  }
  EXPECT_EQ(count({v1::TASK_STATE_UNSPECIFIED}), 0);
  EXPECT_EQ(store->CachedReadStatements(), cached);

  // More distinct values than there are states (values outside the enum
  // can reach the store) is refused.
  ListFilter too_many;
  for (int s = 0; s <= v1::TaskState_ARRAYSIZE; ++s) {
    too_many.states.push_back(static_cast<v1::TaskState>(s));
  }
  EXPECT_EQ(store->List(too_many).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteTaskStoreTest, AFullDatabaseIsUnavailableWithReasonDiskFull) {
  // max_page_count makes SQLite answer SQLITE_FULL as a full disk would.
  auto store = OpenStore();  // creates the file and its folder
  ASSERT_NE(store, nullptr);
  auto db = RawDb();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE filler(b BLOB)").ok());
  ASSERT_TRUE(db->Exec("PRAGMA max_page_count = 8").ok());
  absl::Status st;
  for (int i = 0; i < 100 && st.ok(); ++i) {
    st = db->Exec("INSERT INTO filler VALUES(zeroblob(4096))");
  }
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_EQ(ReasonOf(st), Reason::kDiskFull) << st;
  EXPECT_EQ(ToHttpStatus(st), 503);
  EXPECT_EQ(ReasonOf(store::SqliteError(SQLITE_BUSY, "x", "y")), std::nullopt);
}

TEST_F(SqliteTaskStoreTest, PageSizeIsClampedTo500) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::BlockingCounter remaining(520);
  for (int i = 0; i < 520; ++i) {
    store->Insert(MakeRecord(absl::StrCat("t", i), "alice",
                             v1::TASK_STATE_PENDING, 1700000000000000 + i),
                  [&](absl::Status s) {
                    EXPECT_TRUE(s.ok()) << s;
                    remaining.DecrementCount();
                  });
  }
  remaining.Wait();
  ListFilter filter;
  filter.page_size = 100000;
  absl::StatusOr<ListPage> page = store->List(filter);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->records.size(), 500u);
  EXPECT_EQ(page->records.front().task().id(), "t519");
  ASSERT_FALSE(page->next_page_token.empty());
  filter.page_token = page->next_page_token;
  page = store->List(filter);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->records.size(), 20u);
  EXPECT_TRUE(page->next_page_token.empty());
}

TEST_F(SqliteTaskStoreTest, LockedDatabaseFailsWholeBatchThenRecovers) {
  SqliteOptions opts;
  opts.busy_timeout = absl::Milliseconds(50);
  auto opened = SqliteTaskStore::Open(DbPath(), opts);
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteTaskStore& store = **opened;
  ASSERT_TRUE(InsertSync(store, MakeRecord("before", "alice")).ok());

  // Another process holding the write lock past the busy timeout.
  auto other = RawDb();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->Exec("BEGIN IMMEDIATE").ok());
  absl::Status a = InsertSync(store, MakeRecord("during", "alice"));
  EXPECT_EQ(a.code(), absl::StatusCode::kUnavailable) << a;
  ASSERT_TRUE(other->Exec("ROLLBACK").ok());

  EXPECT_EQ(store.Get("during").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(InsertSync(store, MakeRecord("during", "alice")).ok());
  EXPECT_TRUE(InsertSync(store, MakeRecord("after", "alice")).ok());
  EXPECT_TRUE(store.Get("before").ok());
}

TEST_F(SqliteTaskStoreTest, ReopenKeepsDataAndSchemaVersion) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->schema_version(), 6);
    ASSERT_TRUE(InsertSync(*store, MakeRecord("t1", "alice")).ok());
  }
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->schema_version(), 6);
    EXPECT_TRUE(store->Get("t1").ok());
  }
  auto db = RawDb();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->QueryText("SELECT COUNT(*) FROM schema_migrations").value(),
            "6");
  EXPECT_EQ(db->QueryText("SELECT MAX(version) FROM schema_migrations").value(),
            "6");
  EXPECT_EQ(db->QueryText("PRAGMA journal_mode").value(), "wal");
}

TEST_F(SqliteTaskStoreTest, PendingRowsAreReadPerOwnerOldestFirst) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t t0 = 1700000000000000;
  ASSERT_TRUE(InsertSync(*store, MakeRecord("c", "alice", v1::TASK_STATE_PENDING, t0 + 3)).ok());
  ASSERT_TRUE(InsertSync(*store, MakeRecord("a", "bob", v1::TASK_STATE_PENDING, t0 + 1)).ok());
  ASSERT_TRUE(InsertSync(*store, MakeRecord("r", "alice", v1::TASK_STATE_RUNNING, t0)).ok());
  ASSERT_TRUE(InsertSync(*store, MakeRecord("b", "alice", v1::TASK_STATE_PENDING, t0 + 2)).ok());
  auto owners = store->PendingOwners(10);
  ASSERT_TRUE(owners.ok());
  EXPECT_THAT(*owners, ::testing::ElementsAre(
                           std::make_pair(std::string("alice"), int64_t{2}),
                           std::make_pair(std::string("bob"), int64_t{1})));
  auto one = store->ListPendingOf("alice", 1);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->records.size(), 1u);
  EXPECT_EQ(one->records[0].task().id(), "b");
  auto all = store->ListPendingOf("alice", 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->records.size(), 2u);
  EXPECT_EQ(all->records[1].task().id(), "c");
  auto none = store->ListPendingOf("alice", 0);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->rows(), 0u);
  auto db = RawDb();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->QueryText("SELECT COUNT(*) FROM sqlite_master WHERE type = "
                          "'index' AND name = 'tasks_state_created'")
                .value(),
            "1");
}

TEST_F(SqliteTaskStoreTest, ListOverduePendingReadsTheDeadlineIndex) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t t0 = 1700000000000000;
  auto with_deadline = [](TaskRecord r, int64_t deadline_us) {
    r.mutable_deadline()->set_seconds(deadline_us / 1000000);
    r.mutable_deadline()->set_nanos(
        static_cast<int32_t>(deadline_us % 1000000) * 1000);
    return r;
  };
  // Oldest first is not earliest deadline first.
  ASSERT_TRUE(InsertSync(*store, with_deadline(MakeRecord("late", "a"), t0 + 30)).ok());
  ASSERT_TRUE(InsertSync(*store, with_deadline(MakeRecord("early", "a"), t0 + 10)).ok());
  ASSERT_TRUE(InsertSync(*store, with_deadline(MakeRecord("future", "a"), t0 + 99)).ok());
  ASSERT_TRUE(InsertSync(*store, MakeRecord("no-deadline", "a")).ok());
  ASSERT_TRUE(InsertSync(*store, with_deadline(MakeRecord("running", "a", v1::TASK_STATE_RUNNING), t0)).ok());
  auto ids = [&](int64_t now_us, int limit) {
    auto scan = store->ListOverduePending(absl::FromUnixMicros(now_us), limit);
    EXPECT_TRUE(scan.ok()) << scan.status();
    std::vector<std::string> out;
    for (const auto& r : scan->records) out.push_back(r.task().id());
    return out;
  };
  EXPECT_EQ(ids(t0 + 50, 10), (std::vector<std::string>{"early", "late"}));
  EXPECT_EQ(ids(t0 + 50, 1), (std::vector<std::string>{"early"}));
  EXPECT_EQ(ids(t0 + 30, 10), (std::vector<std::string>{"early", "late"}));  // at
  EXPECT_TRUE(ids(t0 + 9, 10).empty());
  EXPECT_TRUE(ids(t0 + 50, 0).empty());
  // Leaving PENDING leaves the index.
  TaskRecord next = with_deadline(MakeRecord("early", "a", v1::TASK_STATE_TIMED_OUT), t0 + 10);
  next.set_version(2);
  ASSERT_TRUE(UpdateSync(*store, next).ok());
  EXPECT_EQ(ids(t0 + 50, 10), (std::vector<std::string>{"late"}));
  auto db = RawDb();
  ASSERT_NE(db, nullptr);
  // The store names the index in its query (a prepare fails if it cannot
  // serve it); the index holds PENDING rows only.
  EXPECT_EQ(db->QueryText("SELECT sql FROM sqlite_master WHERE type = "
                          "'index' AND name = 'tasks_pending_deadline'")
                .value(),
            "CREATE INDEX tasks_pending_deadline ON tasks(deadline_us) "
            "WHERE state = 1");
}

TEST_F(SqliteTaskStoreTest, RefusesDatabaseFromNewerBinary) {
  { ASSERT_NE(OpenStore(), nullptr); }
  {
    auto db = RawDb();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Exec("INSERT INTO schema_migrations(version, applied_at) "
                         "VALUES(999, 0)")
                    .ok());
  }
  auto store = SqliteTaskStore::Open(DbPath());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(SqliteTaskStoreTest, OpenErrors) {
  EXPECT_EQ(SqliteTaskStore::Open(":memory:").status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string not_db = dir_ + "/garbage.db";
  std::ofstream(not_db) << std::string(4096, 'x');
  EXPECT_EQ(SqliteTaskStore::Open(not_db).status().code(),
            absl::StatusCode::kDataLoss);
  // A regular file where a parent directory should be.
  EXPECT_EQ(SqliteTaskStore::Open(not_db + "/tasks.db").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(SqliteTaskStoreTest, CorruptRecordIsDataLossNotACrash) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(InsertSync(*store, MakeRecord("bad", "alice")).ok());
  ASSERT_TRUE(InsertSync(*store, MakeRecord("good", "alice")).ok());
  {
    auto db = RawDb();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(
        db->Exec("UPDATE tasks SET record = x'ffffffff0a' WHERE id = 'bad'")
            .ok());
  }
  EXPECT_EQ(store->Get("bad").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(store->Get("good").ok());
  absl::StatusOr<RecordScan> active = store->ListNonTerminal();
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->records.size(), 1u);
  EXPECT_EQ(active->records[0].task().id(), "good");
  // The bad row is reported with what its columns say, not dropped.
  ASSERT_EQ(active->unreadable.size(), 1u);
  EXPECT_EQ(active->unreadable[0].id, "bad");
  EXPECT_EQ(active->unreadable[0].owner, "alice");
  EXPECT_EQ(active->unreadable[0].state, v1::TASK_STATE_PENDING);
  EXPECT_EQ(active->unreadable[0].version, 1);
  absl::StatusOr<ListPage> page = store->List(ListFilter{});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->records.size(), 1u);
}

TEST_F(SqliteTaskStoreTest, UnreadablePendingRowsCountTowardsTheLimit) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t t0 = 1700000000000000;
  ASSERT_TRUE(InsertSync(*store, MakeRecord("bad", "alice",
                                            v1::TASK_STATE_PENDING, t0))
                  .ok());
  ASSERT_TRUE(InsertSync(*store, MakeRecord("good", "alice",
                                            v1::TASK_STATE_PENDING, t0 + 1))
                  .ok());
  {
    auto db = RawDb();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Exec("UPDATE tasks SET record = x'0a02ff41' "
                         "WHERE id = 'bad'")
                    .ok());
  }
  auto one = store->ListPendingOf("alice", 1);
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(one->records.empty());
  ASSERT_EQ(one->unreadable.size(), 1u);
  EXPECT_EQ(one->unreadable[0].id, "bad");
  EXPECT_EQ(one->unreadable[0].created_at_us, t0);
  auto two = store->ListPendingOf("alice", 2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->records.size(), 1u);
  EXPECT_EQ(two->records[0].task().id(), "good");
}

// Text that is not UTF-8 would make the record unreadable for good; the
// store refuses to write it, whatever let it through.
TEST_F(SqliteTaskStoreTest, RecordThatWouldNotParseBackIsNotWritten) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  TaskRecord rec = MakeRecord("t1", "alice");
  rec.mutable_request()->set_prompt("cat \xED\xB2\x80");
  absl::Status st = InsertSync(*store, rec);
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(st.message()), testing::HasSubstr("request.prompt"));
  EXPECT_EQ(store->Get("t1").status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(InsertSync(*store, MakeRecord("t2", "alice")).ok());
  TaskRecord next = *store->Get("t2");
  next.set_version(2);
  next.mutable_task()->mutable_error()->set_message("\xFF");
  absl::Status update = UpdateSync(*store, next);
  EXPECT_EQ(update.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(store->Get("t2")->version(), 1);
}

TEST_F(SqliteTaskStoreTest, DestructorDrainsQueueAndCallbacksMayWrite) {
  absl::Mutex mu;
  int acked = 0;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    SqliteTaskStore* raw = store.get();
    for (int i = 0; i < 200; ++i) {
      TaskRecord r = MakeRecord(absl::StrCat("t", i), "alice");
      store->Insert(r, [&, raw, r](absl::Status s) mutable {
        EXPECT_TRUE(s.ok()) << s;
        // Chained asynchronous write from the writer thread.
        r.set_version(2);
        r.mutable_task()->set_state(v1::TASK_STATE_RUNNING);
        raw->Update(r, [&](absl::Status s2) {
          EXPECT_TRUE(s2.ok()) << s2;
          absl::MutexLock lock(&mu);
          ++acked;
        });
      });
    }
  }  // destroyed with most writes still queued
  EXPECT_EQ(acked, 200);
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 200; ++i) {
    absl::StatusOr<TaskRecord> r = store->Get(absl::StrCat("t", i));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->version(), 2);
  }
}

}  // namespace
}  // namespace mediagw

namespace mediagw {
namespace {

class SqliteWriteHealthTest : public SqliteTaskStoreTest {};

// Readiness follows whether the store can write, and comes back by itself
// (the store probes while idle) once the lock holder lets go.
TEST_F(SqliteWriteHealthTest, HealthFollowsTheWriteLockAndComesBack) {
  SqliteOptions opts;
  opts.busy_timeout = absl::Milliseconds(100);
  auto opened = SqliteTaskStore::Open(DbPath(), opts);
  ASSERT_TRUE(opened.ok()) << opened.status();
  auto store = *std::move(opened);
  EXPECT_TRUE(store->WriteHealth().ok());
  auto holder = RawDb();
  ASSERT_NE(holder, nullptr);
  ASSERT_TRUE(holder->Exec("BEGIN IMMEDIATE").ok());
  absl::Status st = InsertSync(*store, MakeRecord("t1", "alice"));
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store->WriteHealth().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(holder->Exec("ROLLBACK").ok());
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (!store->WriteHealth().ok() && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(store->WriteHealth().ok()) << store->WriteHealth();
  EXPECT_TRUE(InsertSync(*store, MakeRecord("t1", "alice")).ok());
}

// A database at its page cap fails writes as a full disk does; the store
// stays not healthy while idle (its probe rewrites a row in a page it
// already has, which would succeed, so it also checks for a free page) and
// is healthy again by itself once pages are freed.
TEST_F(SqliteWriteHealthTest, AFullDatabaseStaysUnhealthyUntilPagesAreFreed) {
  SqliteOptions opts;
  opts.max_page_count = 64;
  auto opened = SqliteTaskStore::Open(DbPath(), opts);
  ASSERT_TRUE(opened.ok()) << opened.status();
  auto store = *std::move(opened);
  auto filler = RawDb();  // another connection: no cap of its own
  ASSERT_NE(filler, nullptr);
  ASSERT_TRUE(filler->Exec("CREATE TABLE filler(b BLOB)").ok());
  for (int i = 0; i < 200; ++i) {
    auto pages = filler->QueryText("PRAGMA page_count");
    ASSERT_TRUE(pages.ok()) << pages.status();
    if (std::stoll(*pages) >= 64) break;
    ASSERT_TRUE(filler->Exec("INSERT INTO filler VALUES(zeroblob(2048))").ok());
  }
  absl::Status st;
  for (int i = 0; i < 200 && st.ok(); ++i) {
    TaskRecord r = MakeRecord(absl::StrCat("t", i), "alice");
    r.mutable_request()->set_prompt(std::string(1500, 'p'));
    st = InsertSync(*store, r);
  }
  ASSERT_FALSE(st.ok()) << "the cap was never reached";
  EXPECT_EQ(ReasonOf(st), Reason::kDiskFull) << st;
  EXPECT_EQ(ReasonOf(store->WriteHealth()), Reason::kDiskFull);
  // Idle past a probe (one a second): still full, still not healthy.
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_EQ(ReasonOf(store->WriteHealth()), Reason::kDiskFull)
      << store->WriteHealth();

  ASSERT_TRUE(filler->Exec("DROP TABLE filler").ok());  // space comes back
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (!store->WriteHealth().ok() && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(store->WriteHealth().ok()) << store->WriteHealth();
  EXPECT_TRUE(InsertSync(*store, MakeRecord("after", "alice")).ok());
}

}  // namespace
}  // namespace mediagw
