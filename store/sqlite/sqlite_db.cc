#include "store/sqlite/sqlite_db.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_mapping.h"

namespace mediagw {
namespace store {

absl::Status SqliteError(int code, absl::string_view what,
                         absl::string_view detail) {
  std::string msg = absl::StrCat(what, ": ", detail, " (sqlite ", code, ")");
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return absl::UnavailableError(msg);
    case SQLITE_CONSTRAINT:
      return absl::AlreadyExistsError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    case SQLITE_FULL:
      // Not RESOURCE_EXHAUSTED, which callers read as "slow down": the
      // service cannot store anything until an operator frees space.
      return WithReason(absl::UnavailableError(msg), Reason::kDiskFull);
    case SQLITE_READONLY:
      return absl::FailedPreconditionError(msg);
    default:
      return absl::InternalError(msg);
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

absl::Status Statement::BindText(int index, absl::string_view value) {
  int rc = sqlite3_bind_text(stmt_, index, value.data(),
                             static_cast<int>(value.size()), SQLITE_STATIC);
  if (rc != SQLITE_OK) return SqliteError(rc, "bind", sqlite3_errmsg(db_));
  return absl::OkStatus();
}

absl::Status Statement::BindBlob(int index, absl::string_view value) {
  // A zero-length blob with a null pointer would bind as NULL; "" is never
  // null, so the column keeps its BLOB type.
  const char* data = value.data() != nullptr ? value.data() : "";
  int rc = sqlite3_bind_blob(stmt_, index, data, static_cast<int>(value.size()),
                             SQLITE_STATIC);
  if (rc != SQLITE_OK) return SqliteError(rc, "bind", sqlite3_errmsg(db_));
  return absl::OkStatus();
}

absl::Status Statement::BindInt64(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) return SqliteError(rc, "bind", sqlite3_errmsg(db_));
  return absl::OkStatus();
}

absl::Status Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) return SqliteError(rc, "bind", sqlite3_errmsg(db_));
  return absl::OkStatus();
}

absl::StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  last_code_ = sqlite3_extended_errcode(db_);
  return SqliteError(last_code_, "step", sqlite3_errmsg(db_));
}

absl::Status Statement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  last_code_ = SQLITE_OK;
}

int64_t Statement::ColumnInt64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

bool Statement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

absl::string_view Statement::ColumnText(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr) return absl::string_view();
  return absl::string_view(reinterpret_cast<const char*>(p), n);
}

absl::string_view Statement::ColumnBlob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr) return absl::string_view();
  return absl::string_view(static_cast<const char*>(p), n);
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(
    const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX |
              (read_only ? SQLITE_OPEN_READONLY
                         : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s =
        SqliteError(rc, absl::StrCat("open ", path),
                    db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return s;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db));
}

SqliteDb::~SqliteDb() {
  // Statements must be finalized before the connection closes cleanly.
  cache_.clear();
  sqlite3_close_v2(db_);
}

absl::Status SqliteDb::Exec(absl::string_view sql) {
  std::string copy(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, copy.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    absl::Status s = SqliteError(sqlite3_extended_errcode(db_), "exec",
                                 err != nullptr ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SqliteDb::QueryText(absl::string_view sql) {
  auto stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::string();
  return std::string((*stmt)->ColumnText(0));
}

absl::StatusOr<std::unique_ptr<Statement>> SqliteDb::Prepare(
    absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteError(rc, absl::StrCat("prepare `", sql, "`"),
                       sqlite3_errmsg(db_));
  }
  return std::make_unique<Statement>(db_, stmt);
}

absl::StatusOr<Statement*> SqliteDb::Cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  auto stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Statement* raw = stmt->get();
  cache_.emplace(sql, std::move(*stmt));
  return raw;
}

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

int64_t SqliteDb::LastInsertRowid() const {
  return sqlite3_last_insert_rowid(db_);
}

bool SqliteDb::InAutocommit() const { return sqlite3_get_autocommit(db_) != 0; }

}  // namespace store
}  // namespace mediagw
