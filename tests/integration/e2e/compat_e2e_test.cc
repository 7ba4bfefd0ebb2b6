// The OpenAI- and kie-compatible surfaces on the real binary: a synchronous
// OpenAI reply carries the stored outputs (as URLs that serve them, or
// their bytes), one that outlives compat.openai_sync_timeout_seconds
// answers 503 with the task id while the task goes on, and kie's
// callBackUrl is stored with the task.
#include <regex>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "gtest/gtest.h"
#include "store/sqlite/sqlite_task_store.h"
#include "tests/integration/e2e/harness.h"

namespace mediagw::e2e {
namespace {

const std::vector<std::string> kAuth = {
    std::string("Authorization: Bearer ") + Server::kKey,
    "Content-Type: application/json"};

constexpr char kCompat[] = R"({
    "openai_models": [{"name": "sdxl", "workflow": "default"}],
    "kie_models": [{"name": "comfy/text-to-image", "workflow": "default"}],
    "openai_sync_timeout_seconds": 1})";

class CompatE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  std::string dir_;
};

TEST_F(CompatE2eTest, SyncReplyCarriesTheStoredOutputsAsUrlsOrBytes) {
  Simulator sim(dir_, /*step_ms=*/5);
  ServerOptions o;
  o.compat = R"({"openai_models": [{"name": "sdxl", "workflow": "default"}]})";
  Server server(dir_, sim.url(), o);
  server.Start();

  HttpResult r = Http("POST", server.rest() + "/v1/images/generations",
                      R"({"model": "sdxl", "prompt": "e2e sync", "n": 1,
                          "size": "96x64"})",
                      kAuth);
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = json::Parse(r.body);
  ASSERT_TRUE(doc.ok()) << r.body;
  auto data = json::GetArray(*doc, "data");
  ASSERT_TRUE(data.ok() && (*data)->Size() == 1) << r.body;
  auto url = json::GetString((**data)[0], "url");
  ASSERT_TRUE(url.ok()) << r.body;
  HttpResult png = Http("GET", *url);
  ASSERT_EQ(png.status, 200);
  EXPECT_EQ(PngSize(png.body), std::make_pair(96, 64));

  r = Http("POST", server.rest() + "/v1/images/generations",
           R"({"model": "sdxl", "prompt": "e2e sync b64", "size": "64x80",
               "response_format": "b64_json"})",
           kAuth);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  doc = json::Parse(r.body);
  ASSERT_TRUE(doc.ok());
  data = json::GetArray(*doc, "data");
  ASSERT_TRUE(data.ok() && (*data)->Size() == 1);
  auto b64 = json::GetString((**data)[0], "b64_json");
  ASSERT_TRUE(b64.ok());
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(*b64, &bytes));
  EXPECT_EQ(PngSize(bytes), std::make_pair(64, 80));
}

TEST_F(CompatE2eTest, AWaitPastItsDeadlineAnswers503AndTheTaskGoesOn) {
  // 20 steps of 150 ms: longer than the 1 s the reply may wait.
  Simulator sim(dir_, /*step_ms=*/150);
  ServerOptions o;
  o.compat = kCompat;
  Server server(dir_, sim.url(), o);
  server.Start();
  const absl::Time start = absl::Now();
  HttpResult r = Http("POST", server.rest() + "/v1/images/generations",
                      R"({"model": "sdxl", "prompt": "e2e slow"})", kAuth);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));
  EXPECT_NE(r.body.find(R"("code":"timeout")"), std::string::npos) << r.body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.body, m, std::regex("task (\\S+) did not")))
      << r.body;
  const std::string id = m[1];
  const v1::Task t = WaitTerminal(server, id, absl::Seconds(60));
  EXPECT_EQ(t.state(), v1::TASK_STATE_SUCCEEDED) << t.error().message();
  EXPECT_EQ(t.outputs_size(), 1);
}

TEST_F(CompatE2eTest, KieCallBackUrlIsStoredWithTheTask) {
  Simulator sim(dir_, /*step_ms=*/5);
  ServerOptions o;
  o.compat = kCompat;
  Server server(dir_, sim.url(), o);
  server.Start();
  HttpResult r = Http("POST", server.rest() + "/api/v1/jobs/createTask",
                      R"({"model": "comfy/text-to-image",
                          "callBackUrl": "https://hooks.example.com/kie?a=1",
                          "input": {"prompt": "e2e kie", "aspect_ratio": "3:2"}})",
                      kAuth);
  ASSERT_EQ(r.status, 200);
  auto doc = json::Parse(r.body);
  ASSERT_TRUE(doc.ok()) << r.body;
  ASSERT_EQ((*doc)["code"].GetInt(), 200) << r.body;
  const std::string id = (*doc)["data"]["taskId"].GetString();

  std::string state;
  ASSERT_TRUE(WaitFor(
      [&] {
        HttpResult info = Http(
            "GET", server.rest() + "/api/v1/jobs/recordInfo?taskId=" + id, "",
            kAuth);
        auto d = json::Parse(info.body);
        if (!d.ok() || !(*d)["data"].IsObject()) return false;
        state = (*d)["data"]["state"].GetString();
        return state == "success" || state == "fail";
      },
      absl::Seconds(60)));
  EXPECT_EQ(state, "success");

  ASSERT_EQ(server.Stop(), 0);
  auto store = SqliteTaskStore::Open(dir_ + "/data/mediagw.db");
  ASSERT_TRUE(store.ok()) << store.status();
  auto rec = (*store)->Get(id);
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->request().webhook_url(), "https://hooks.example.com/kie?a=1");
  EXPECT_EQ(rec->request().width(), 1024);
  EXPECT_EQ(rec->request().height(), 680);
}

}  // namespace
}  // namespace mediagw::e2e
