// Durability and group-commit behaviour of SqliteTaskStore under load and
// across a kill -9 of the writing process.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "store/sqlite/sqlite_task_store.h"
#include "tests/store/sqlite/store_test_util.h"

namespace mediagw {
namespace {

using testing_util::MakeRecord;

class SqliteDurabilityTest : public testing_util::TempDirTest {};

TEST_F(SqliteDurabilityTest, ConcurrentInsertsAreGroupCommitted) {
  auto opened = SqliteTaskStore::Open(DbPath());
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteTaskStore& store = **opened;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  constexpr int kTotal = kThreads * kPerThread;

  absl::BlockingCounter remaining(kTotal);
  std::atomic<int> failures{0};
  absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        store.Insert(
            MakeRecord(absl::StrCat("t", t, "-", i), absl::StrCat("owner", t)),
            [&](absl::Status s) {
              if (!s.ok()) failures.fetch_add(1);
              remaining.DecrementCount();
            });
      }
    });
  }
  // Readers run against the same file while the writer commits.
  std::atomic<bool> writing{true};
  std::atomic<int> read_errors{0};
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      while (writing.load()) {
        ListFilter filter;
        filter.page_size = 20;
        if (!store.List(filter).ok()) read_errors.fetch_add(1);
        absl::StatusOr<TaskRecord> got = store.Get("t0-0");
        if (!got.ok() && got.status().code() != absl::StatusCode::kNotFound) {
          read_errors.fetch_add(1);
        }
      }
    });
  }
  remaining.Wait();
  writing.store(false);
  for (std::thread& th : threads) th.join();
  absl::Duration elapsed = absl::Now() - start;
  std::printf("%d durable inserts in %s (%.0f/s), %llu commits\n", kTotal,
              absl::FormatDuration(elapsed).c_str(),
              kTotal / absl::ToDoubleSeconds(elapsed),
              static_cast<unsigned long long>(store.commit_count()));

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(read_errors.load(), 0);
  EXPECT_GT(store.commit_count(), 0u);
  EXPECT_LT(store.commit_count(), static_cast<uint64_t>(kTotal));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_TRUE(store.Get(absl::StrCat("t", t, "-", i)).ok())
          << t << " " << i;
    }
  }
  ListFilter filter;
  filter.owner = "owner3";
  filter.page_size = 500;
  EXPECT_EQ(store.List(filter)->records.size(),
            static_cast<size_t>(kPerThread));
}

// The child inserts continuously and reports every acknowledged id on a
// pipe; the parent kills it with SIGKILL mid-stream, then checks that every
// acknowledged id is in the file.
TEST_F(SqliteDurabilityTest, AcknowledgedWritesSurviveKill9) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string path = DbPath();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    int out = fds[1];
    auto store = SqliteTaskStore::Open(path);
    if (!store.ok()) ::_exit(2);
    for (int i = 0; i < 1000000; ++i) {
      std::string id = absl::StrCat("k", i);
      (*store)->Insert(MakeRecord(id, "alice"), [out, id](absl::Status s) {
        if (!s.ok()) return;
        std::string line = absl::StrCat(id, "\n");
        ssize_t n = ::write(out, line.data(), line.size());
        (void)n;
      });
      if (i % 64 == 63)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ::_exit(3);
  }
  ::close(fds[1]);

  std::string received;
  auto acked_lines = [&] {
    return std::count(received.begin(), received.end(), '\n');
  };
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  char buf[4096];
  while (acked_lines() < 2000 && absl::Now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) continue;
    ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n <= 0) break;
    received.append(buf, static_cast<size_t>(n));
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early: " << status;
  // Acks written before the kill are still buffered in the pipe.
  while (true) {
    ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n <= 0) break;
    received.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  ASSERT_GE(acked_lines(), 2000);

  auto store = SqliteTaskStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  int checked = 0;
  for (absl::string_view id :
       absl::StrSplit(received, '\n', absl::SkipEmpty())) {
    ASSERT_TRUE((*store)->Get(std::string(id)).ok()) << id;
    ++checked;
  }
  EXPECT_GE(checked, 2000);
}

}  // namespace
}  // namespace mediagw
