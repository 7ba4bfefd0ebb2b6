// Helpers shared by the SQLite task store tests: a temp directory per test,
// record builders, and blocking wrappers around the asynchronous writes.
#ifndef MEDIAGW_TESTS_STORE_SQLITE_STORE_TEST_UTIL_H_
#define MEDIAGW_TESTS_STORE_SQLITE_STORE_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/task_store.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace testing_util {

inline TaskRecord MakeRecord(const std::string& id, const std::string& owner,
                             v1::TaskState state = v1::TASK_STATE_PENDING,
                             int64_t created_us = 1700000000000000,
                             const std::string& idempotency_key = "") {
  TaskRecord r;
  r.set_version(1);
  r.set_owner(owner);
  r.mutable_task()->set_id(id);
  r.mutable_task()->set_state(state);
  r.mutable_task()->set_workflow("default");
  r.mutable_task()->mutable_create_time()->set_seconds(created_us / 1000000);
  r.mutable_task()->mutable_create_time()->set_nanos(
      static_cast<int32_t>(created_us % 1000000) * 1000);
  r.mutable_request()->set_prompt("a cat");
  r.mutable_request()->set_idempotency_key(idempotency_key);
  return r;
}

// Waits (bounded) for the write to be acknowledged and returns its status.
template <typename Fn>
absl::Status Sync(Fn&& start) {
  auto done = std::make_shared<absl::Notification>();
  auto result = std::make_shared<absl::Status>();
  start([done, result](absl::Status s) {
    *result = std::move(s);
    done->Notify();
  });
  if (!done->WaitForNotificationWithTimeout(absl::Seconds(30))) {
    return absl::DeadlineExceededError("write not acknowledged in time");
  }
  return *result;
}

inline absl::Status InsertSync(TaskStore& store, const TaskRecord& r) {
  return Sync([&](TaskStore::DoneCallback cb) { store.Insert(r, cb); });
}

inline absl::Status UpdateSync(TaskStore& store, const TaskRecord& r) {
  return Sync([&](TaskStore::DoneCallback cb) { store.Update(r, cb); });
}

// Fixture owning a fresh directory under the system temp dir.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "mediagw-store-XXXXXX")
            .string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string DbPath() const { return dir_ + "/sub/dir/tasks.db"; }

  std::string dir_;
};

}  // namespace testing_util
}  // namespace mediagw

#endif  // MEDIAGW_TESTS_STORE_SQLITE_STORE_TEST_UTIL_H_
