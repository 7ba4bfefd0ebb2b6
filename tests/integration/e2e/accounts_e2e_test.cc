// Accounts end to end: the real binary and simulator, metered accounts from
// the config, and the ledger read back from the SQLite file afterwards.
// Shows: a balance never overdrawn by concurrent submits, one hold for an
// idempotent burst, and after mixed outcomes (and a kill -9) every task has
// exactly one hold and one settle or refund, charged by the rules of
// docs/ACCOUNTS.md, with every balance equal to its top-ups minus charges.
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "core/state_machine.h"
#include "gtest/gtest.h"
#include "store/sqlite/sqlite_account_store.h"
#include "store/sqlite/sqlite_task_store.h"
#include "tests/integration/e2e/harness.h"

namespace mediagw::e2e {
namespace {

std::string KeyOf(int account) { return absl::StrCat("sk-acct-", account); }
std::string IdOf(int account) { return absl::StrCat("acct", account); }

// `accounts` metered accounts acct0.. with `balance` each.
std::string MeteredKeys(int accounts, int64_t balance) {
  std::string out;
  for (int i = 0; i < accounts; ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",", R"({"name": ")", IdOf(i),
                    R"(", "sha256": ")", Sha256Hex(KeyOf(i)),
                    R"(", "balance": )", balance, "}");
  }
  return out;
}

grpc::Status Submit(const Server& server, const std::string& key,
                    v1::SubmitImageRequest req, v1::Task* out) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-api-key", key);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return server.Stub()->SubmitImage(&ctx, req, out);
}

v1::Task WaitDone(const Server& server, const std::string& key,
                  const std::string& id) {
  v1::Task t;
  WaitFor(
      [&] {
        grpc::ClientContext ctx;
        ctx.AddMetadata("x-api-key", key);
        v1::GetTaskRequest req;
        req.set_id(id);
        return server.Stub()->GetTask(&ctx, req, &t).ok() &&
               IsTerminal(t.state());
      },
      absl::Seconds(90), absl::Milliseconds(100));
  return t;
}

// What a task that ended as `r` must have been charged (docs/ACCOUNTS.md).
int64_t ExpectedCharge(const TaskRecord& r) {
  switch (r.task().state()) {
    case v1::TASK_STATE_SUCCEEDED:
      return std::min(r.hold(), r.unit_price() * r.task().outputs_size());
    case v1::TASK_STATE_CANCELED:
      if (!r.upstream_accepted()) return 0;
      if (r.upstream_cancelled() && !r.task().has_start_time()) return 0;
      return r.hold();
    default:
      return 0;
  }
}

struct Books {
  int64_t tasks = 0;
  int64_t charged = 0;
};

// Reads the stopped server's file and checks every account in
// `initial` (id -> balance it started with). Returns per-account totals.
void CheckLedger(const std::string& dir,
                 const std::map<std::string, int64_t>& initial,
                 std::map<std::string, Books>* books_out) {
  std::map<std::string, Books>& books = *books_out;
  auto tasks = SqliteTaskStore::Open(dir + "/data/mediagw.db");
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  SqliteAccountStore accounts(tasks->get());
  for (const auto& [id, start] : initial) {
    SCOPED_TRACE(id);
    auto ledger = accounts.ListLedger(id, 0, 1000000);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    std::map<std::string, int> holds, finals;
    std::map<std::string, int64_t> final_amount;
    int64_t top_ups = 0, settled = 0;
    for (const LedgerRow& e : *ledger) {
      switch (e.kind) {
        case LedgerEntry::Kind::kTopUp:
          top_ups += e.amount;
          break;
        case LedgerEntry::Kind::kHold:
          ++holds[e.task_id];
          break;
        case LedgerEntry::Kind::kSettle:
          settled += e.amount;
          ++finals[e.task_id];
          final_amount[e.task_id] = e.amount;
          break;
        case LedgerEntry::Kind::kRefund:
          ++finals[e.task_id];
          final_amount[e.task_id] = 0;
          break;
      }
    }
    EXPECT_EQ(top_ups, start);
    for (const auto& [task_id, n] : holds) {
      SCOPED_TRACE(task_id);
      EXPECT_EQ(n, 1);
      EXPECT_EQ(finals[task_id], 1);
      auto rec = (*tasks)->Get(task_id);
      ASSERT_TRUE(rec.ok()) << rec.status();
      EXPECT_TRUE(IsTerminal(rec->task().state()));
      EXPECT_EQ(final_amount[task_id], ExpectedCharge(*rec));
      EXPECT_EQ(rec->task().charged_credits(), final_amount[task_id]);
      EXPECT_EQ(rec->task().held_credits(), 0);
      books[id].tasks += 1;
      books[id].charged += final_amount[task_id];
    }
    for (const auto& [task_id, n] : finals) EXPECT_EQ(holds[task_id], 1);
    auto account = accounts.GetAccount(id);
    ASSERT_TRUE(account.ok()) << account.status();
    EXPECT_EQ(account->balance, start - settled);
    EXPECT_EQ(account->held, 0);
    if (!ledger->empty()) {
      EXPECT_EQ(ledger->back().balance_after, account->balance);
    }
  }
}

class AccountsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override {
    if (!HasFailure()) std::system(("rm -rf " + dir_).c_str());
  }
  std::string dir_;
};

TEST_F(AccountsE2eTest, ConcurrentSubmitsNeverOverdrawAndReplaysHoldOnce) {
  Simulator sim(dir_, 5);
  ServerOptions o;
  o.extra_api_keys = MeteredKeys(2, 50);
  o.default_price = 1;
  o.poll_interval_ms = 50;
  Server server(dir_, sim.url(), o);
  server.Start();

  // 200 submits at once against a balance that covers 50.
  std::atomic<int> stored{0}, refused{0}, other{0};
  std::vector<std::pair<std::string, std::string>> ids;  // (key, task id)
  absl::Mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        v1::SubmitImageRequest req;
        req.set_prompt(absl::StrCat("race ", t, "/", i));
        v1::Task task;
        grpc::Status st = Submit(server, KeyOf(0), req, &task);
        if (st.ok()) {
          ++stored;
          absl::MutexLock l(&mu);
          ids.emplace_back(KeyOf(0), task.id());
        } else if (st.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                   st.error_message() == "Insufficient balance") {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  }
  // 100 submits at once with one idempotency key: one task, one hold.
  std::atomic<int> same{0};
  std::string first_id;
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        v1::SubmitImageRequest req;
        req.set_prompt("once");
        req.set_idempotency_key("burst-1");
        v1::Task task;
        if (!Submit(server, KeyOf(1), req, &task).ok()) continue;
        absl::MutexLock l(&mu);
        if (first_id.empty()) {
          first_id = task.id();
          ids.emplace_back(KeyOf(1), task.id());
        }
        if (task.id() == first_id) ++same;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(stored.load(), 50);
  EXPECT_EQ(refused.load(), 150);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(same.load(), 100);
  for (const auto& [key, id] : ids) {
    ASSERT_TRUE(IsTerminal(WaitDone(server, key, id).state())) << id;
  }
  ASSERT_EQ(server.Stop(), 0);
  std::map<std::string, Books> books;
  CheckLedger(dir_, {{IdOf(0), 50}, {IdOf(1), 50}}, &books);
  EXPECT_EQ(books[IdOf(0)].tasks, 50);
  EXPECT_EQ(books[IdOf(1)].tasks, 1);
}

// Mixed outcomes over 10 accounts, with a kill -9 in the middle: every
// acknowledged task ends, with one hold and one final entry by the rules.
TEST_F(AccountsE2eTest, MixedOutcomesAndACrashKeepEveryBookExact) {
  Simulator sim(dir_, 5);
  constexpr int kAccounts = 10;
  constexpr int kPerAccount = 100;
  ServerOptions o;
  o.extra_api_keys = MeteredKeys(kAccounts, 100000);
  o.default_price = 3;
  o.poll_interval_ms = 50;
  // Tasks of "tight" wait for a one-slot channel and most time out there.
  o.extra_workflows = absl::StrCat(
      R"({"name": "tight", "channels": ["comfy"], "template_file": ")",
      SourceDir(), R"(/config/workflows/default.json", "default_cfg": 7,
      "deadline_seconds": 1, "price": {"per_output": 5}})");
  Server server(dir_, sim.url(), o);
  server.Start();
  // Some jobs end in an upstream error.
  sim.Fault(R"({"mode":"error_status","count":60})");

  std::vector<std::pair<int, std::string>> acked;  // (account, task id)
  absl::Mutex mu;
  auto submit_batch = [&](int from, int to) {
    std::vector<std::thread> threads;
    for (int a = 0; a < kAccounts; ++a) {
      threads.emplace_back([&, a] {
        for (int i = from; i < to; ++i) {
          v1::SubmitImageRequest req;
          req.set_prompt(absl::StrCat("mixed ", a, "/", i));
          if (i % 10 == 9) req.set_workflow("tight");
          if (i % 7 == 3) req.set_n(2);
          v1::Task task;
          if (!Submit(server, KeyOf(a), req, &task).ok()) continue;
          if (i % 10 == 8) {  // cancelled at once
            grpc::ClientContext ctx;
            ctx.AddMetadata("x-api-key", KeyOf(a));
            v1::CancelTaskRequest c;
            c.set_id(task.id());
            v1::Task ignored;
            server.Stub()->CancelTask(&ctx, c, &ignored);
          }
          absl::MutexLock l(&mu);
          acked.emplace_back(a, task.id());
        }
      });
    }
    for (auto& th : threads) th.join();
  };
  submit_batch(0, kPerAccount / 2);
  server.Kill9();  // with tasks in every phase
  server.Start();
  submit_batch(kPerAccount / 2, kPerAccount);
  for (const auto& [a, id] : acked) {
    const v1::Task t = WaitDone(server, KeyOf(a), id);
    ASSERT_TRUE(IsTerminal(t.state())) << id << " stuck in " << t.state();
  }
  ASSERT_EQ(server.Stop(), 0);
  std::map<std::string, int64_t> initial;
  for (int a = 0; a < kAccounts; ++a) initial[IdOf(a)] = 100000;
  std::map<std::string, Books> books;
  CheckLedger(dir_, initial, &books);
  int64_t tasks = 0;
  for (const auto& [id, b] : books) tasks += b.tasks;
  // Every acknowledged task was held and finished (a submit cut by the
  // kill may also have been stored without an answer: never fewer).
  EXPECT_GE(tasks, static_cast<int64_t>(acked.size()));
  EXPECT_GE(acked.size(), static_cast<size_t>(kAccounts * kPerAccount * 9 / 10));
}

}  // namespace
}  // namespace mediagw::e2e
