// SqliteTaskStore's deletes for the retention sweeper
// (core/retention_sweeper.h); ListExpired lives with the other reads in
// sqlite_task_store.cc.
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "store/sqlite/sqlite_task_store.h"

namespace mediagw {
namespace {

// The state test makes the delete safe against a row that is not (or no
// longer) what the sweeper listed; terminal states never change back.
constexpr char kDeleteTerminalSql[] =
    "DELETE FROM tasks WHERE id = ? AND state IN (6, 7, 8, 9)";
// Deleting more in one op would hold the writer's transaction longer and
// delay the submits committed with it.
constexpr size_t kMaxDeleteIds = 1000;
// A deleted task's webhook delivery and attempts go with it.
constexpr char kDeleteOutboxSql[] = "DELETE FROM webhook_outbox WHERE task_id = ?";
constexpr char kDeleteAttemptsSql[] =
    "DELETE FROM webhook_attempts WHERE task_id = ?";

}  // namespace

void SqliteTaskStore::DeleteTerminal(std::vector<std::string> ids,
                                     DoneCallback done) {
  WriteOp op;
  op.kind = WriteOp::Kind::kDelete;
  op.done = std::move(done);
  if (ids.size() > kMaxDeleteIds) {
    op.precheck = absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxDeleteIds, " tasks per delete, got ",
                     ids.size()));
  }
  op.delete_ids = std::move(ids);
  Enqueue(std::move(op));
}

absl::Status SqliteTaskStore::ApplyDelete(const WriteOp& op) {
  MG_ASSIGN_OR_RETURN(store::Statement * stmt,
                      writer_db_->Cached(kDeleteTerminalSql));
  for (const std::string& id : op.delete_ids) {
    MG_RETURN_IF_ERROR(stmt->BindText(1, id));
    absl::Status s = stmt->Run();
    stmt->Reset();
    MG_RETURN_IF_ERROR(s);
    if (writer_db_->Changes() == 0) continue;
    for (const char* sql : {kDeleteOutboxSql, kDeleteAttemptsSql}) {
      MG_ASSIGN_OR_RETURN(store::Statement * del, writer_db_->Cached(sql));
      MG_RETURN_IF_ERROR(del->BindText(1, id));
      absl::Status d = del->Run();
      del->Reset();
      MG_RETURN_IF_ERROR(d);
    }
  }
  return absl::OkStatus();
}

}  // namespace mediagw
