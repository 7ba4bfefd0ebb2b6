// End-to-end: text that is not UTF-8 never reaches a stored record, and a
// stored record that cannot be read neither hides its task nor blocks the
// tasks behind it. The real binaries, a real SQLite file.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "gtest/gtest.h"
#include "store/sqlite/sqlite_db.h"
#include "tests/integration/e2e/harness.h"

namespace mediagw::e2e {
namespace {

const std::string kKeyHeader = std::string("x-api-key: ") + Server::kKey;

class HostileInputE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override {
    if (!HasFailure()) std::system(("rm -rf " + dir_).c_str());
  }

  std::vector<v1::Task> ListAll(const Server& s) {
    auto stub = s.Stub();
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::ListTasksRequest req;
    req.set_page_size(500);
    v1::ListTasksResponse resp;
    EXPECT_TRUE(stub->ListTasks(&ctx, req, &resp).ok());
    return {resp.tasks().begin(), resp.tasks().end()};
  }

  // The legacy envelope's error, after checking the envelope's shape.
  std::string LegacyError(const HttpResult& r) {
    auto doc = json::Parse(r.body);
    EXPECT_TRUE(doc.ok()) << r.body;
    if (!doc.ok() || !doc->IsObject()) return "";
    EXPECT_FALSE((*doc)["success"].GetBool());
    EXPECT_TRUE((*doc)["data"].IsNull());
    return (*doc)["error"].IsString() ? (*doc)["error"].GetString() : "";
  }

  std::string dir_;
};

TEST_F(HostileInputE2eTest, TextThatIsNotUtf8IsRefusedOnRestAndNothingIsStored) {
  Simulator sim(dir_);
  Server server(dir_, sim.url());
  server.Start();
  const std::string submit =
      server.rest() + "/v1/index.php?endpoint=image_generation";
  struct Case {
    std::string what;
    std::string url;
    std::string body;
    std::vector<std::string> headers;
    std::string error_has;
  };
  const std::vector<Case> cases = {
      {"lone surrogate escape", submit, R"({"prompt":"cat \udc80"})",
       {kKeyHeader}, "'prompt' is not valid UTF-8"},
      {"raw 0xFF in a string", submit, "{\"prompt\":\"cat \xFF\"}",
       {kKeyHeader}, "'prompt' is not valid UTF-8"},
      {"bad key of a workflow object", submit,
       "{\"prompt\":{\"3\":{\"inputs\":{\"t\xC0\xAF\":1}}}}", {kKeyHeader},
       "not valid UTF-8"},
      {"bad negative prompt", submit,
       "{\"prompt\":\"ok\",\"negative_prompt\":\"\xED\xA0\x80\"}",
       {kKeyHeader}, "'negative_prompt' is not valid UTF-8"},
      {"bad Idempotency-Key header", submit, R"({"prompt":"ok"})",
       {kKeyHeader, "Idempotency-Key: k\xFF"}, "Idempotency-Key"},
      {"bad task_id in the query", server.rest() +
           "/v1/index.php?endpoint=task_status&task_id=%FF%FE", "",
       {kKeyHeader}, "task_id"},
      {"bad video prompt",
       server.rest() + "/v1/index.php?endpoint=video_generation",
       "{\"prompt\":\"\xFF\",\"image\":\"http://x/a.png\"}", {kKeyHeader},
       "'prompt' is not valid UTF-8"},
  };
  for (const Case& c : cases) {
    HttpResult r = Http(c.body.empty() ? "GET" : "POST", c.url, c.body,
                        c.headers);
    EXPECT_EQ(r.status, 400) << c.what << ": " << r.body;
    EXPECT_NE(LegacyError(r).find(c.error_has), std::string::npos)
        << c.what << ": " << r.body;
  }
  EXPECT_TRUE(ListAll(server).empty());
}

// Rows written by something other than this binary (an older bug, a damaged
// file) sit at the head of the backlog, more of them than the tasks that
// may run at once. They are failed loudly, and the tasks behind them run.
TEST_F(HostileInputE2eTest, UnreadableRowsAheadOfTheBacklogAreFailedNotSkipped) {
  Simulator sim(dir_, /*step_ms=*/10);
  ServerOptions opts;
  opts.max_active = 2;
  Server server(dir_, sim.url(), opts);
  server.Start();
  std::vector<std::string> good;
  for (int i = 0; i < 6; ++i) {
    good.push_back(SubmitLegacy(
        server, absl::StrCat(R"({"prompt": "good )", i,
                             R"(", "steps": 2, "width": 64, "height": 64})")));
    ASSERT_FALSE(good.back().empty());
  }
  server.Kill9();  // most of them still wait in the store's backlog

  std::vector<std::string> bad;
  {
    auto db = store::SqliteDb::Open(dir_ + "/data/mediagw.db", /*read_only=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    for (int i = 0; i < 5; ++i) {
      bad.push_back(absl::StrCat("unreadable-", i));
      // Older than every good task, PENDING, and not a TaskRecord: field 1
      // (task) holds a string that is not UTF-8.
      ASSERT_TRUE((*db)->Exec(absl::StrCat(
                                 "INSERT INTO tasks (id, owner, state, version, "
                                 "created_at_us, updated_at_us, record) "
                                 "SELECT '", bad.back(),
                                 "', owner, 1, 1, created_at_us - 1000000 + ",
                                 i, ", updated_at_us, x'0a020aff' "
                                 "FROM tasks ORDER BY created_at_us LIMIT 1"))
                      .ok());
    }
  }
  server.Start();
  for (const std::string& id : good) {
    grpc::Status st;
    EXPECT_TRUE(WaitFor(
        [&] {
          return GetTask(server, id, &st).state() == v1::TASK_STATE_SUCCEEDED;
        },
        absl::Seconds(60)))
        << id << " ended in " << GetTask(server, id, &st).state();
  }
  for (const std::string& id : bad) {
    grpc::Status st;
    v1::Task t;
    EXPECT_TRUE(WaitFor(
        [&] {
          t = GetTask(server, id, &st);
          return st.ok() && t.state() == v1::TASK_STATE_FAILED;
        },
        absl::Seconds(30)))
        << id << ": " << st.error_message();
    EXPECT_EQ(t.error().code(), "INTERNAL");
    EXPECT_EQ(t.error().message(), "stored record unreadable");
  }
  HttpResult metrics = Http("GET", server.rest() + "/metrics");
  EXPECT_NE(metrics.body.find("mediagw_unreadable_records_total 5"),
            std::string::npos)
      << metrics.body;
}

}  // namespace
}  // namespace mediagw::e2e
