// The read side of SqliteTaskStore: point reads, scans for recovery, the
// backlog and retention, and paged listing, over the pool of read-only
// connections. Contract: store/sqlite/sqlite_task_store.h.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "store/sqlite/page_token.h"
#include "store/sqlite/sqlite_task_store.h"

namespace mediagw {

using store::SqliteDb;
using store::Statement;

namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
// Slots for the states filter of List: one per TaskState value.
constexpr int kStateSlots = v1::TaskState_ARRAYSIZE;

constexpr char kGetSql[] = "SELECT record FROM tasks WHERE id = ?";
constexpr char kFindKeySql[] =
    "SELECT id FROM tasks WHERE owner = ? AND idempotency_key = ?";
// Listing the states (rather than NOT IN terminal) lets SQLite use the
// state index.
constexpr char kNonTerminalSql[] =
    "SELECT id, record, owner, state, version, created_at_us FROM tasks "
    "WHERE state IN (0, 1, 2, 3, 4, 5) ORDER BY created_at_us, id";

constexpr char kPendingOwnersSql[] =
    "SELECT owner, COUNT(*) FROM tasks WHERE state = 1 GROUP BY owner "
    "ORDER BY owner LIMIT ?";
constexpr char kPendingOfSql[] =
    "SELECT id, record, owner, state, version, created_at_us FROM tasks "
    "WHERE state = 1 AND owner = ? ORDER BY created_at_us, id LIMIT ?";
// Named, because the planner (with no statistics) would rather walk every
// PENDING row of tasks_state_created; the partial index of PENDING rows by
// deadline reads only the overdue ones. INDEXED BY fails the prepare if the
// index cannot serve the query, instead of silently scanning.
constexpr char kOverdueSql[] =
    "SELECT id, record, owner, state, version, created_at_us FROM tasks "
    "INDEXED BY tasks_pending_deadline WHERE state = 1 AND deadline_us <= ? "
    "ORDER BY deadline_us LIMIT ?";
// Terminal states, each a range of the (state, created_at_us) index; no
// ORDER BY, so the scan stops at the limit instead of sorting every match.
constexpr char kExpiredSql[] =
    "SELECT id, record, owner, state, version, created_at_us FROM tasks "
    "WHERE state IN (6, 7, 8, 9) AND created_at_us < ? LIMIT ?";

absl::StatusOr<TaskRecord> ParseRecord(absl::string_view id,
                                       absl::string_view blob) {
  TaskRecord record;
  if (!record.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
    return absl::DataLossError(
        absl::StrCat("stored record of task ", id, " is corrupt"));
  }
  return record;
}

}  // namespace

// Returns a read connection to the pool when it goes out of scope.
class SqliteTaskStore::ReaderLease {
 public:
  explicit ReaderLease(SqliteTaskStore* store) : store_(store) {
    absl::MutexLock lock(&store_->read_mu_);
    store_->read_mu_.Await(
        absl::Condition(store_, &SqliteTaskStore::HasIdleReader));
    db_ = store_->idle_readers_.back();
    store_->idle_readers_.pop_back();
  }
  ~ReaderLease() {
    absl::MutexLock lock(&store_->read_mu_);
    store_->idle_readers_.push_back(db_);
  }
  ReaderLease(const ReaderLease&) = delete;
  ReaderLease& operator=(const ReaderLease&) = delete;

  SqliteDb* operator->() const { return db_; }

 private:
  SqliteTaskStore* store_;
  SqliteDb* db_;
};

absl::Status SqliteTaskStore::WithReader(
    const std::function<absl::Status(SqliteDb&)>& read) {
  ReaderLease db(this);
  return read(*db.operator->());
}

absl::StatusOr<TaskRecord> SqliteTaskStore::Get(const std::string& id) {
  ReaderLease db(this);
  MG_ASSIGN_OR_RETURN(Statement * stmt, db->Cached(kGetSql));
  MG_RETURN_IF_ERROR(stmt->BindText(1, id));
  MG_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) {
    stmt->Reset();
    return absl::NotFoundError(absl::StrCat("task ", id, " not found"));
  }
  absl::StatusOr<TaskRecord> record = ParseRecord(id, stmt->ColumnBlob(0));
  stmt->Reset();
  return record;
}

absl::StatusOr<std::optional<std::string>>
SqliteTaskStore::FindByIdempotencyKey(const std::string& owner,
                                      const std::string& key) {
  if (key.empty()) return std::optional<std::string>();
  ReaderLease db(this);
  MG_ASSIGN_OR_RETURN(Statement * stmt, db->Cached(kFindKeySql));
  MG_RETURN_IF_ERROR(stmt->BindText(1, owner));
  MG_RETURN_IF_ERROR(stmt->BindText(2, key));
  MG_ASSIGN_OR_RETURN(bool row, stmt->Step());
  std::optional<std::string> id;
  if (row) id = std::string(stmt->ColumnText(0));
  stmt->Reset();
  return id;
}

namespace {

// Steps `stmt` to the end, parsing (id, record, owner, state, version,
// created_at_us) rows. A row that does not parse is reported with its
// columns, so one bad row can neither block recovery or the backlog nor
// vanish from them.
absl::StatusOr<RecordScan> ReadRecords(Statement* stmt) {
  RecordScan out;
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) {
      stmt->Reset();
      return row.status();
    }
    if (!*row) break;
    absl::StatusOr<TaskRecord> record =
        ParseRecord(stmt->ColumnText(0), stmt->ColumnBlob(1));
    if (record.ok()) {
      out.records.push_back(*std::move(record));
      continue;
    }
    MG_LOG(Error, "task store: ", record.status().ToString());
    UnreadableRow bad;
    bad.id = std::string(stmt->ColumnText(0));
    bad.owner = std::string(stmt->ColumnText(2));
    bad.state = static_cast<v1::TaskState>(stmt->ColumnInt64(3));
    bad.version = stmt->ColumnInt64(4);
    bad.created_at_us = stmt->ColumnInt64(5);
    out.unreadable.push_back(std::move(bad));
  }
  stmt->Reset();
  return out;
}

}  // namespace

absl::StatusOr<RecordScan> SqliteTaskStore::ListNonTerminal() {
  ReaderLease db(this);
  MG_ASSIGN_OR_RETURN(Statement * stmt, db->Cached(kNonTerminalSql));
  return ReadRecords(stmt);
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>>
SqliteTaskStore::PendingOwners(int limit) {
  std::vector<std::pair<std::string, int64_t>> out;
  if (limit <= 0) return out;
  ReaderLease db(this);
  MG_ASSIGN_OR_RETURN(Statement * stmt, db->Cached(kPendingOwnersSql));
  MG_RETURN_IF_ERROR(stmt->BindInt64(1, limit));
  absl::Status st;
  for (;;) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok() || !*row) {
      st = row.status();
      break;
    }
    out.emplace_back(std::string(stmt->ColumnText(0)), stmt->ColumnInt64(1));
  }
  stmt->Reset();
  MG_RETURN_IF_ERROR(st);
  return out;
}

absl::StatusOr<RecordScan> SqliteTaskStore::ListPendingOf(
    const std::string& owner, int limit) {
  if (limit <= 0) return RecordScan();
  ReaderLease db(this);
  MG_ASSIGN_OR_RETURN(Statement * stmt, db->Cached(kPendingOfSql));
  MG_RETURN_IF_ERROR(stmt->BindText(1, owner));
  MG_RETURN_IF_ERROR(stmt->BindInt64(2, limit));
  return ReadRecords(stmt);
}

absl::StatusOr<RecordScan> SqliteTaskStore::ListOverduePending(absl::Time now,
                                                              int limit) {
  if (limit <= 0) return RecordScan();
  ReaderLease db(this);
  MG_ASSIGN_OR_RETURN(Statement * stmt, db->Cached(kOverdueSql));
  MG_RETURN_IF_ERROR(stmt->BindInt64(1, absl::ToUnixMicros(now)));
  MG_RETURN_IF_ERROR(stmt->BindInt64(2, limit));
  return ReadRecords(stmt);
}

absl::StatusOr<RecordScan> SqliteTaskStore::ListExpired(
    absl::Time created_before, int limit) {
  if (limit <= 0) return RecordScan();
  ReaderLease db(this);
  MG_ASSIGN_OR_RETURN(Statement * stmt, db->Cached(kExpiredSql));
  MG_RETURN_IF_ERROR(stmt->BindInt64(1, absl::ToUnixMicros(created_before)));
  MG_RETURN_IF_ERROR(stmt->BindInt64(2, limit));
  return ReadRecords(stmt);
}

absl::StatusOr<ListPage> SqliteTaskStore::List(const ListFilter& filter) {
  int page_size = filter.page_size <= 0
                      ? kDefaultPageSize
                      : std::min(filter.page_size, kMaxPageSize);
  std::optional<store::PageCursor> cursor;
  if (!filter.page_token.empty()) {
    MG_ASSIGN_OR_RETURN(cursor, store::DecodePageToken(filter.page_token));
  }
  // A states filter always binds kStateSlots values, the unused ones NULL
  // (which IN never matches), so the list length does not change the SQL:
  // the text only varies in which filters are present, and each of those
  // few shapes is compiled once per connection and cached.
  std::vector<int64_t> states;
  for (v1::TaskState state : filter.states) {
    if (std::find(states.begin(), states.end(), state) == states.end()) {
      states.push_back(state);
    }
  }
  if (states.size() > static_cast<size_t>(kStateSlots)) {
    return absl::InvalidArgumentError(
        absl::StrCat("states: at most ", kStateSlots, " distinct values"));
  }
  std::vector<std::string> where;
  if (!filter.owner.empty()) where.push_back("owner = ?");
  if (!states.empty()) {
    std::vector<std::string> marks(kStateSlots, "?");
    where.push_back(
        absl::StrCat("state IN (", absl::StrJoin(marks, ", "), ")"));
  }
  if (cursor.has_value()) where.push_back("(created_at_us, id) < (?, ?)");
  std::string sql = "SELECT id, created_at_us, record FROM tasks";
  if (!where.empty()) {
    absl::StrAppend(&sql, " WHERE ", absl::StrJoin(where, " AND "));
  }
  absl::StrAppend(&sql, " ORDER BY created_at_us DESC, id DESC LIMIT ?");

  ReaderLease db(this);
  MG_ASSIGN_OR_RETURN(Statement * stmt, db->Cached(sql));
  int param = 1;
  if (!filter.owner.empty()) {
    MG_RETURN_IF_ERROR(stmt->BindText(param++, filter.owner));
  }
  if (!states.empty()) {
    for (int i = 0; i < kStateSlots; ++i) {
      if (i < static_cast<int>(states.size())) {
        MG_RETURN_IF_ERROR(stmt->BindInt64(param++, states[i]));
      } else {
        MG_RETURN_IF_ERROR(stmt->BindNull(param++));
      }
    }
  }
  if (cursor.has_value()) {
    MG_RETURN_IF_ERROR(stmt->BindInt64(param++, cursor->created_at_us));
    MG_RETURN_IF_ERROR(stmt->BindText(param++, cursor->id));
  }
  // One extra row tells whether another page exists.
  MG_RETURN_IF_ERROR(stmt->BindInt64(param++, page_size + 1));

  ListPage page;
  store::PageCursor last;
  int seen = 0;
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) {
      stmt->Reset();
      return row.status();
    }
    if (!*row) break;
    if (seen == page_size) {
      page.next_page_token = store::EncodePageToken(last);
      break;
    }
    ++seen;
    last.id = std::string(stmt->ColumnText(0));
    last.created_at_us = stmt->ColumnInt64(1);
    absl::StatusOr<TaskRecord> record =
        ParseRecord(last.id, stmt->ColumnBlob(2));
    if (!record.ok()) {
      MG_LOG(Error, "task store: skipping: ", record.status().ToString());
      continue;
    }
    page.records.push_back(*std::move(record));
  }
  stmt->Reset();
  return page;
}

size_t SqliteTaskStore::CachedReadStatements() {
  absl::MutexLock l(&read_mu_);
  size_t n = 0;
  for (const store::SqliteDb* db : idle_readers_) n += db->CachedCount();
  return n;
}

}  // namespace mediagw
