// Gives an account webhook secrets before the server starts, as the admin
// service's RotateWebhookSecret would (a current secret, and a previous one
// still in its grace period): creates the account (unlimited) or updates
// its settings in the store file. The server keeps settings it finds.
// Usage: webhook_seed_account DB ACCOUNT SECRET [PREVIOUS_SECRET]
#include <cstdio>
#include <functional>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "store/sqlite/sqlite_account_store.h"
#include "store/sqlite/sqlite_task_store.h"

namespace {

absl::Status Wait(const std::function<void(mediagw::AccountStore::DoneCallback)>& op) {
  absl::Notification done;
  absl::Status out;
  op([&](absl::Status st) {
    out = st;
    done.Notify();
  });
  done.WaitForNotification();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DB ACCOUNT SECRET [PREVIOUS]\n", argv[0]);
    return 2;
  }
  auto tasks = mediagw::SqliteTaskStore::Open(argv[1]);
  if (!tasks.ok()) {
    std::fprintf(stderr, "%s\n", tasks.status().ToString().c_str());
    return 1;
  }
  mediagw::SqliteAccountStore accounts(tasks->get());
  mediagw::AccountRecord settings;
  settings.set_webhook_secret(argv[3]);
  if (argc > 4) {
    settings.set_previous_webhook_secret(argv[4]);
    *settings.mutable_previous_secret_expire_time() =
        google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
            absl::ToUnixNanos(absl::Now() + absl::Hours(24)));
  }
  mediagw::AccountRow row;
  row.id = argv[2];
  row.unlimited = true;
  row.settings = settings;
  absl::Status st = Wait([&](auto done) {
    accounts.CreateAccount(row, 0, std::move(done));
  });
  if (st.code() == absl::StatusCode::kAlreadyExists) {
    st = Wait([&](auto done) {
      accounts.UpdateSettings(row.id, settings, std::move(done));
    });
  }
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
