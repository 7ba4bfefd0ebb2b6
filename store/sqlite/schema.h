// Versioned schema of the SQLite task store.
//
// The schema is an ordered list of migrations; `schema_migrations(version,
// applied_at)` records which ones a database file has. ApplyMigrations runs
// each missing step in its own BEGIN IMMEDIATE transaction, so a crash leaves
// the file at a whole version and concurrent openers serialize.
#ifndef MEDIAGW_STORE_SQLITE_SCHEMA_H_
#define MEDIAGW_STORE_SQLITE_SCHEMA_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/sqlite/sqlite_db.h"

namespace mediagw {
namespace store {

struct Migration {
  int64_t version;        // strictly increasing, starting at 1
  absl::string_view sql;  // one or more statements
};

// The migrations this binary knows, in order.
const std::vector<Migration>& TaskStoreMigrations();

// Brings `db` up to the newest version in `migrations` and returns that
// version. Reopening an up-to-date file changes nothing.
// FAILED_PRECONDITION if the file carries a version newer than any in
// `migrations` (written by a newer binary); other codes from SQLite.
absl::StatusOr<int64_t> ApplyMigrations(
    SqliteDb& db, const std::vector<Migration>& migrations);

}  // namespace store
}  // namespace mediagw

#endif  // MEDIAGW_STORE_SQLITE_SCHEMA_H_
