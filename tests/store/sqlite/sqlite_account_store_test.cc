// Accounts on the task store's file: ledger rows that ride task writes (one
// hold, one final entry, never a negative balance) and the account store's
// own writes and reads.
#include "store/sqlite/sqlite_account_store.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/store/sqlite/store_test_util.h"

namespace mediagw {
namespace {

using testing_util::MakeRecord;
using testing_util::Sync;

class SqliteAccountStoreTest : public testing_util::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto store = SqliteTaskStore::Open(DbPath());
    ASSERT_TRUE(store.ok()) << store.status();
    tasks_ = std::move(*store);
    accounts_ = std::make_unique<SqliteAccountStore>(tasks_.get());
  }

  absl::Status CreateAccount(const std::string& id, int64_t balance,
                             bool unlimited = false) {
    AccountRow row;
    row.id = id;
    row.unlimited = unlimited;
    return Sync([&](auto cb) { accounts_->CreateAccount(row, balance, cb); });
  }

  static LedgerEntry Entry(const std::string& account, const std::string& task,
                           LedgerEntry::Kind kind, int64_t amount) {
    LedgerEntry e;
    e.account_id = account;
    e.task_id = task;
    e.kind = kind;
    e.amount = amount;
    return e;
  }

  absl::Status InsertWithHold(const std::string& task, const std::string& acct,
                              int64_t hold) {
    SideRows rows;
    rows.ledger.push_back(Entry(acct, task, LedgerEntry::Kind::kHold, hold));
    TaskRecord r = MakeRecord(task, acct);
    return Sync([&](auto cb) { tasks_->Insert(r, rows, cb); });
  }

  absl::Status Finish(const std::string& task, const std::string& acct,
                      LedgerEntry::Kind kind, int64_t amount) {
    auto cur = tasks_->Get(task);
    if (!cur.ok()) return cur.status();
    TaskRecord next = *cur;
    next.set_version(cur->version() + 1);
    next.mutable_task()->set_state(v1::TASK_STATE_SUCCEEDED);
    SideRows rows;
    rows.ledger.push_back(Entry(acct, task, kind, amount));
    return Sync([&](auto cb) { tasks_->Update(next, rows, cb); });
  }

  std::pair<int64_t, int64_t> BalanceHeld(const std::string& id) {
    auto a = accounts_->GetAccount(id);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? std::make_pair(a->balance, a->held)
                  : std::make_pair(int64_t{-1}, int64_t{-1});
  }

  std::unique_ptr<SqliteTaskStore> tasks_;
  std::unique_ptr<SqliteAccountStore> accounts_;
};

TEST_F(SqliteAccountStoreTest, HoldThenSettleMovesTheMoney) {
  ASSERT_TRUE(CreateAccount("acme", 100).ok());
  EXPECT_EQ(BalanceHeld("acme"), std::make_pair(int64_t{100}, int64_t{0}));
  ASSERT_TRUE(InsertWithHold("t1", "acme", 30).ok());
  EXPECT_EQ(BalanceHeld("acme"), std::make_pair(int64_t{70}, int64_t{30}));
  // Charged 20 of the 30 held: 10 comes back.
  ASSERT_TRUE(Finish("t1", "acme", LedgerEntry::Kind::kSettle, 20).ok());
  EXPECT_EQ(BalanceHeld("acme"), std::make_pair(int64_t{80}, int64_t{0}));
  auto ledger = accounts_->ListLedger("acme", 0, 10);
  ASSERT_TRUE(ledger.ok());
  ASSERT_EQ(ledger->size(), 3u);
  EXPECT_EQ((*ledger)[0].kind, LedgerEntry::Kind::kTopUp);
  EXPECT_EQ((*ledger)[1].kind, LedgerEntry::Kind::kHold);
  EXPECT_EQ((*ledger)[1].balance_after, 70);
  EXPECT_EQ((*ledger)[2].kind, LedgerEntry::Kind::kSettle);
  EXPECT_EQ((*ledger)[2].amount, 20);
  EXPECT_EQ((*ledger)[2].balance_after, 80);
  EXPECT_EQ((*ledger)[2].task_id, "t1");
}

TEST_F(SqliteAccountStoreTest, AShortBalanceStoresNothing) {
  ASSERT_TRUE(CreateAccount("acme", 10).ok());
  absl::Status st = InsertWithHold("t1", "acme", 11);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(), "Insufficient balance");
  EXPECT_EQ(ReasonOf(st), Reason::kCallerBalanceShort);
  EXPECT_EQ(tasks_->Get("t1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(BalanceHeld("acme"), std::make_pair(int64_t{10}, int64_t{0}));
}

TEST_F(SqliteAccountStoreTest, ASecondFinalEntryUndoesItsTaskWrite) {
  ASSERT_TRUE(CreateAccount("acme", 100).ok());
  ASSERT_TRUE(InsertWithHold("t1", "acme", 30).ok());
  ASSERT_TRUE(Finish("t1", "acme", LedgerEntry::Kind::kRefund, 0).ok());
  const int64_t version = tasks_->Get("t1")->version();
  EXPECT_EQ(Finish("t1", "acme", LedgerEntry::Kind::kSettle, 30).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(tasks_->Get("t1")->version(), version);
  EXPECT_EQ(BalanceHeld("acme"), std::make_pair(int64_t{100}, int64_t{0}));
  // A second hold for the same task is refused too.
  SideRows rows;
  rows.ledger.push_back(Entry("acme", "t1", LedgerEntry::Kind::kHold, 1));
  TaskRecord other = MakeRecord("t2", "acme");
  rows.ledger[0].task_id = "t1";
  EXPECT_EQ(Sync([&](auto cb) { tasks_->Insert(other, rows, cb); }).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(tasks_->Get("t2").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SqliteAccountStoreTest, RowsOfAWriteThatFailsAreTakenBack) {
  ASSERT_TRUE(CreateAccount("acme", 100).ok());
  // A replay: the idempotency key is taken, so the insert fails after its
  // hold was placed.
  SideRows rows;
  rows.ledger.push_back(Entry("acme", "k1", LedgerEntry::Kind::kHold, 10));
  TaskRecord first = MakeRecord("k1", "acme", v1::TASK_STATE_PENDING,
                                1700000000000000, "same-key");
  ASSERT_TRUE(Sync([&](auto cb) { tasks_->Insert(first, rows, cb); }).ok());
  rows.ledger[0].task_id = "k2";
  TaskRecord replay = MakeRecord("k2", "acme", v1::TASK_STATE_PENDING,
                                 1700000000000000, "same-key");
  EXPECT_EQ(Sync([&](auto cb) { tasks_->Insert(replay, rows, cb); }).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(BalanceHeld("acme"), std::make_pair(int64_t{90}, int64_t{10}));
  // A stale compare-and-swap: its settle is taken back too.
  TaskRecord stale = *tasks_->Get("k1");
  stale.set_version(stale.version() + 5);
  stale.mutable_task()->set_state(v1::TASK_STATE_SUCCEEDED);
  SideRows settle;
  settle.ledger.push_back(Entry("acme", "k1", LedgerEntry::Kind::kSettle, 10));
  EXPECT_EQ(Sync([&](auto cb) { tasks_->Update(stale, settle, cb); }).code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(BalanceHeld("acme"), std::make_pair(int64_t{90}, int64_t{10}));
  auto ledger = accounts_->ListLedger("acme", 0, 10);
  ASSERT_TRUE(ledger.ok());
  EXPECT_EQ(ledger->size(), 2u);  // the top-up and k1's hold
  // The right version settles.
  ASSERT_TRUE(Finish("k1", "acme", LedgerEntry::Kind::kSettle, 10).ok());
  EXPECT_EQ(BalanceHeld("acme"), std::make_pair(int64_t{90}, int64_t{0}));
}

TEST_F(SqliteAccountStoreTest, ConcurrentHoldsNeverOverdraw) {
  ASSERT_TRUE(CreateAccount("acme", 50).ok());
  constexpr int kSubmits = 200;
  absl::BlockingCounter left(kSubmits);
  std::atomic<int> stored{0}, short_of_balance{0};
  for (int i = 0; i < kSubmits; ++i) {
    SideRows rows;
    const std::string id = absl::StrCat("t", i);
    rows.ledger.push_back(Entry("acme", id, LedgerEntry::Kind::kHold, 1));
    tasks_->Insert(MakeRecord(id, "acme"), rows, [&](absl::Status st) {
      if (st.ok()) ++stored;
      if (ReasonOf(st) == Reason::kCallerBalanceShort) ++short_of_balance;
      left.DecrementCount();
    });
  }
  left.Wait();
  EXPECT_EQ(stored.load(), 50);
  EXPECT_EQ(short_of_balance.load(), kSubmits - 50);
  EXPECT_EQ(BalanceHeld("acme"), std::make_pair(int64_t{0}, int64_t{50}));
}

TEST_F(SqliteAccountStoreTest, UnlimitedAccountsRecordUseWithoutABalance) {
  ASSERT_TRUE(CreateAccount("free", 0, /*unlimited=*/true).ok());
  ASSERT_TRUE(InsertWithHold("t1", "free", 1000).ok());
  EXPECT_EQ(BalanceHeld("free"), std::make_pair(int64_t{0}, int64_t{1000}));
  ASSERT_TRUE(Finish("t1", "free", LedgerEntry::Kind::kSettle, 1000).ok());
  EXPECT_EQ(BalanceHeld("free"), std::make_pair(int64_t{0}, int64_t{0}));
}

TEST_F(SqliteAccountStoreTest, TopUpsAreBoundedAndAccountsMustExist) {
  ASSERT_TRUE(CreateAccount("acme", 0).ok());
  auto top_up = [&](const std::string& acct, int64_t amount) {
    return Sync([&](auto cb) {
      accounts_->Apply(Entry(acct, "", LedgerEntry::Kind::kTopUp, amount), cb);
    });
  };
  EXPECT_TRUE(top_up("acme", INT64_MAX - 5).ok());
  EXPECT_EQ(top_up("acme", 6).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(top_up("acme", -1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(top_up("nobody", 1).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(InsertWithHold("t1", "nobody", 1).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(CreateAccount("acme", 1).code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(SqliteAccountStoreTest, KeysAreStoredByHashAndRevokedOnce) {
  ASSERT_TRUE(CreateAccount("acme", 0).ok());
  KeyRow k;
  k.id = "key_1";
  k.account_id = "acme";
  k.sha256_hex = std::string(64, 'a');
  k.prefix = "mgw_1234";
  k.name = "ci";
  ASSERT_TRUE(Sync([&](auto cb) { accounts_->PutKey(k, cb); }).ok());
  EXPECT_EQ(Sync([&](auto cb) { accounts_->PutKey(k, cb); }).code(),
            absl::StatusCode::kAlreadyExists);
  KeyRow orphan = k;
  orphan.id = "key_2";
  orphan.sha256_hex = std::string(64, 'b');
  orphan.account_id = "nobody";
  EXPECT_EQ(Sync([&](auto cb) { accounts_->PutKey(orphan, cb); }).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(
      Sync([&](auto cb) { accounts_->RevokeKey("key_1", 5, cb); }).ok());
  ASSERT_TRUE(
      Sync([&](auto cb) { accounts_->RevokeKey("key_1", 9, cb); }).ok());
  auto keys = accounts_->ListKeys("acme");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].revoked_at_us, 5);  // the first revocation stands
  EXPECT_EQ(Sync([&](auto cb) { accounts_->RevokeKey("key_9", 1, cb); }).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteAccountStoreTest, CountsActiveTasksPerOwner) {
  ASSERT_TRUE(CreateAccount("acme", 100).ok());
  ASSERT_TRUE(InsertWithHold("t1", "acme", 1).ok());
  ASSERT_TRUE(InsertWithHold("t2", "acme", 1).ok());
  ASSERT_TRUE(Finish("t2", "acme", LedgerEntry::Kind::kRefund, 0).ok());
  auto counts = accounts_->CountActiveByOwner();
  ASSERT_TRUE(counts.ok());
  EXPECT_THAT(*counts, ::testing::ElementsAre(
                           std::make_pair(std::string("acme"), int64_t{1})));
}

}  // namespace
}  // namespace mediagw
