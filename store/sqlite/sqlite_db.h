// Thin RAII layer over the SQLite C API: one connection (`SqliteDb`) and its
// prepared statements (`Statement`), with SQLite result codes turned into
// absl::Status.
//
// Threading: a SqliteDb and its statements are NOT thread-safe (connections
// are opened with SQLITE_OPEN_NOMUTEX). The owner serializes all use, either
// by confining the connection to one thread or by guarding it with a mutex.
//
// Ownership: SqliteDb owns the sqlite3 handle and every Statement it caches;
// a Statement returned by Prepare() is owned by the caller and must be
// destroyed before its SqliteDb.
//
// Status codes: SQLITE_BUSY/LOCKED/IOERR/CANTOPEN -> UNAVAILABLE,
// SQLITE_CONSTRAINT -> ALREADY_EXISTS, SQLITE_CORRUPT/NOTADB -> DATA_LOSS,
// SQLITE_FULL -> UNAVAILABLE with reason kDiskFull (common/status_mapping),
// anything else -> INTERNAL.
#ifndef MEDIAGW_STORE_SQLITE_SQLITE_DB_H_
#define MEDIAGW_STORE_SQLITE_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw {
namespace store {

// Maps a (possibly extended) SQLite result code to a status carrying `what`
// and the SQLite message.
absl::Status SqliteError(int code, absl::string_view what,
                         absl::string_view detail);

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binders take 1-based parameter indexes. Text and blobs are NOT copied:
  // the referenced bytes must stay alive until Reset() or the next Bind.
  absl::Status BindText(int index, absl::string_view value);
  absl::Status BindBlob(int index, absl::string_view value);
  absl::Status BindInt64(int index, int64_t value);
  absl::Status BindNull(int index);

  // Advances the statement. Returns true when a row is available, false when
  // the statement finished. On error the raw SQLite code is in last_code().
  absl::StatusOr<bool> Step();
  // Runs the statement to completion, ignoring any rows.
  absl::Status Run();
  // Resets the statement and clears its bindings so it can be reused.
  void Reset();

  // Column accessors for the current row (0-based).
  int64_t ColumnInt64(int col) const;
  bool ColumnIsNull(int col) const;
  // Views stay valid until the next Step(), Reset() or destruction.
  absl::string_view ColumnText(int col) const;
  absl::string_view ColumnBlob(int col) const;

  // Extended SQLite result code of the last failed Step().
  int last_code() const { return last_code_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int last_code_ = SQLITE_OK;
};

class SqliteDb {
 public:
  // Opens (creating if needed) the database file with extended result codes
  // enabled. UNAVAILABLE if the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                        bool read_only);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Executes one or more SQL statements that return no needed rows.
  absl::Status Exec(absl::string_view sql);
  // Runs a PRAGMA-like single statement and returns the first column of the
  // first row as text (empty if no row).
  absl::StatusOr<std::string> QueryText(absl::string_view sql);

  // Compiles a new statement owned by the caller.
  absl::StatusOr<std::unique_ptr<Statement>> Prepare(absl::string_view sql);
  // Returns a statement cached on this connection, compiling it on first
  // use. The statement is reset before it is returned; it is owned by this
  // SqliteDb.
  absl::StatusOr<Statement*> Cached(const std::string& sql);
  // Statements cached so far on this connection.
  size_t CachedCount() const { return cache_.size(); }

  // Rows changed by the most recent INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  // Rowid of the last row inserted on this connection.
  int64_t LastInsertRowid() const;
  // True unless a transaction is open (SQLite may roll one back on error).
  bool InAutocommit() const;

  sqlite3* raw() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  absl::flat_hash_map<std::string, std::unique_ptr<Statement>> cache_;
};

}  // namespace store
}  // namespace mediagw

#endif  // MEDIAGW_STORE_SQLITE_SQLITE_DB_H_
