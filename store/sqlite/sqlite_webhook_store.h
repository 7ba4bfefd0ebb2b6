// WebhookStore on the task store's SQLite file (schema 5): outbox rows are
// inserted by the task write they belong to (ApplyOutboxRow, inside the
// writer's transaction), and everything else rides the task store's
// writer thread and read pool.
//
// Thread-safety: as SqliteTaskStore. The task store must outlive this.
#ifndef MEDIAGW_STORE_SQLITE_SQLITE_WEBHOOK_STORE_H_
#define MEDIAGW_STORE_SQLITE_SQLITE_WEBHOOK_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "core/webhook_store.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_task_store.h"

namespace mediagw {
namespace store {

// Inserts `row` as a pending delivery due at once, in the transaction open
// on `db` (writer thread only). ALREADY_EXISTS when the task or the id
// already has a row; INVALID_ARGUMENT for an empty id, task or URL.
absl::Status ApplyOutboxRow(SqliteDb& db, const OutboxRow& row,
                            int64_t now_us);

}  // namespace store

class SqliteWebhookStore : public WebhookStore {
 public:
  explicit SqliteWebhookStore(SqliteTaskStore* tasks) : tasks_(tasks) {}

  absl::StatusOr<std::vector<OutboxEntry>> ListDue(int64_t now_us,
                                                   int limit) override;
  void RecordAttempt(AttemptRow attempt, DoneCallback done) override;
  absl::StatusOr<std::optional<WebhookHistory>> History(
      const std::string& task_id, int max_attempts) override;
  void Replay(const std::string& task_id, int64_t now_us,
              int64_t give_up_at_us, DoneCallback done) override;

 private:
  SqliteTaskStore* const tasks_;
};

}  // namespace mediagw

#endif  // MEDIAGW_STORE_SQLITE_SQLITE_WEBHOOK_STORE_H_
