#include "store/sqlite/schema.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/store/sqlite/store_test_util.h"

namespace mediagw {
namespace store {
namespace {

class SchemaTest : public testing_util::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto db = SqliteDb::Open(dir_ + "/schema.db", /*read_only=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }
  void TearDown() override {
    db_.reset();
    TempDirTest::TearDown();
  }
  std::string Query(absl::string_view sql) {
    absl::StatusOr<std::string> v = db_->QueryText(sql);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.value_or("");
  }

  std::unique_ptr<SqliteDb> db_;
};

TEST_F(SchemaTest, AppliesOnlyMissingStepsInOrder) {
  std::vector<Migration> v1 = {{1, "CREATE TABLE a(x INTEGER)"}};
  ASSERT_EQ(ApplyMigrations(*db_, v1).value(), 1);
  ASSERT_EQ(ApplyMigrations(*db_, v1).value(), 1);  // no-op

  std::vector<Migration> v2 = v1;
  v2.push_back({2, "ALTER TABLE a ADD COLUMN y TEXT; CREATE TABLE b(z)"});
  ASSERT_EQ(ApplyMigrations(*db_, v2).value(), 2);
  EXPECT_EQ(Query("SELECT group_concat(version) FROM "
                  "(SELECT version FROM schema_migrations ORDER BY version)"),
            "1,2");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM pragma_table_info('a')"), "2");

  // The older binary refuses the newer file.
  EXPECT_EQ(ApplyMigrations(*db_, v1).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SchemaTest, FailedStepRollsBackAsAWhole) {
  std::vector<Migration> steps = {
      {1, "CREATE TABLE a(x INTEGER)"},
      {2, "CREATE TABLE b(x INTEGER); INSERT INTO no_such_table VALUES(1)"}};
  absl::StatusOr<int64_t> v = ApplyMigrations(*db_, steps);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(Query("SELECT MAX(version) FROM schema_migrations"), "1");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'"), "0");
  EXPECT_TRUE(db_->InAutocommit());
}

TEST_F(SchemaTest, TaskStoreMigrationsAreStrictlyIncreasing) {
  const std::vector<Migration>& m = TaskStoreMigrations();
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m.front().version, 1);
  for (size_t i = 1; i < m.size(); ++i) {
    EXPECT_GT(m[i].version, m[i - 1].version);
  }
}

}  // namespace
}  // namespace store
}  // namespace mediagw
