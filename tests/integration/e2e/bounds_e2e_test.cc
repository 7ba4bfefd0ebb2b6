// End-to-end: what one caller can make the gateway do is bounded. A whole
// ComfyUI workflow with a huge batch fails clearly without a download (and
// stays failed across a restart), and an idempotency key cannot be reused
// for another request on either surface.
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json.h"
#include "gtest/gtest.h"
#include "tests/integration/e2e/harness.h"

namespace mediagw::e2e {
namespace {

const std::string kKeyHeader = std::string("x-api-key: ") + Server::kKey;

// Resident memory of `pid` in KiB (VmRSS in /proc), or -1.
int64_t RssKiB(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view v(line);
    if (!absl::ConsumePrefix(&v, "VmRSS:")) continue;
    v = absl::StripAsciiWhitespace(v);
    absl::ConsumeSuffix(&v, "kB");
    int64_t kib = -1;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(v), &kib)) return kib;
  }
  return -1;
}

// The default template's workflow with a batch of `batch` tiny images.
std::string HugeBatchWorkflow(int batch) {
  std::ifstream in(SourceDir() + "/config/workflows/default.json");
  std::stringstream text;
  text << in.rdbuf();
  auto doc = json::Parse(text.str());
  if (!doc.ok()) return "";
  rapidjson::Value& wf = (*doc)["workflow"];
  wf["5"]["inputs"]["width"].SetInt(64);
  wf["5"]["inputs"]["height"].SetInt(64);
  wf["5"]["inputs"]["batch_size"].SetInt(batch);
  wf["6"]["inputs"]["text"].SetString("a crowd of cats");
  return json::Serialize(wf);
}

class BoundsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override {
    if (!HasFailure()) std::system(("rm -rf " + dir_).c_str());
  }

  v1::Task Get(const Server& s, const std::string& id) {
    auto stub = s.Stub();
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::GetTaskRequest req;
    req.set_id(id);
    v1::Task t;
    stub->GetTask(&ctx, req, &t);
    return t;
  }

  grpc::Status SubmitGrpc(const Server& s, const v1::SubmitImageRequest& req,
                          v1::Task* out) {
    auto stub = s.Stub();
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    return stub->SubmitImage(&ctx, req, out);
  }

  std::string dir_;
};

TEST_F(BoundsE2eTest, HugeComfyUiBatchFailsClearlyWithoutDownloadsAndStaysFailed) {
  Simulator sim(dir_);
  Server server(dir_, sim.url());
  server.Start();
  const std::string workflow = HugeBatchWorkflow(4096);
  ASSERT_FALSE(workflow.empty());
  auto r = Http("POST", server.rest() + "/v1/index.php?endpoint=image_generation",
                absl::StrCat(R"({"prompt": )", workflow, "}"), {kKeyHeader});
  ASSERT_EQ(r.status, 200) << r.body;
  auto reply = json::Parse(r.body);
  ASSERT_TRUE(reply.ok() && (*reply)["data"].IsObject()) << r.body;
  const std::string id = (*reply)["data"]["id"].GetString();

  int64_t peak_kib = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        peak_kib = std::max(peak_kib, RssKiB(server.pid()));
        return Get(server, id).state() == v1::TASK_STATE_FAILED;
      },
      absl::Seconds(120)))
      << "state " << v1::TaskState_Name(Get(server, id).state());
  v1::Task t = Get(server, id);
  EXPECT_EQ(t.error().code(), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(t.error().message(),
            "upstream returned 4096 outputs; at most 16 are kept "
            "(fetch.max_outputs)");
  EXPECT_EQ(t.outputs_size(), 0);
  // A generous bound: the process must not hold thousands of images.
  EXPECT_GT(peak_kib, 0);
  EXPECT_LT(peak_kib, 512 * 1024) << "peak VmRSS " << peak_kib << " KiB";
  // Nothing was downloaded.
  auto stats = json::Parse(sim.Stats().body);
  ASSERT_TRUE(stats.ok());
  const auto& requests = (*stats)["requests"];
  EXPECT_FALSE(requests.HasMember("/view")) << sim.Stats().body;
  EXPECT_EQ((*stats)["jobs_submitted"].GetInt(), 1);

  // A restart does not pick it up again.
  const int64_t updated = t.update_time().seconds() * 1000000000LL +
                          t.update_time().nanos();
  EXPECT_EQ(server.Stop(), 0);
  server.Start();
  absl::SleepFor(absl::Seconds(1));  // ten poll intervals
  v1::Task after = Get(server, id);
  EXPECT_EQ(after.state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(after.update_time().seconds() * 1000000000LL +
                after.update_time().nanos(),
            updated);
  auto stats_after = json::Parse(sim.Stats().body);
  ASSERT_TRUE(stats_after.ok());
  EXPECT_EQ((*stats_after)["jobs_submitted"].GetInt(), 1);
  EXPECT_FALSE((*stats_after)["requests"].HasMember("/view"));
}

TEST_F(BoundsE2eTest, IdempotencyKeyForAnotherRequestIsRefusedOnBothSurfaces) {
  Simulator sim(dir_);
  Server server(dir_, sim.url());
  server.Start();
  const std::string url =
      server.rest() + "/v1/index.php?endpoint=image_generation";
  const std::string key = "Idempotency-Key: k-rest";
  auto first = Http("POST", url, R"({"prompt": "once"})", {kKeyHeader, key});
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string id = json::Parse(first.body).value()["data"]["id"].GetString();
  // Let it finish, so the task has its provider and outputs by now.
  ASSERT_TRUE(WaitFor(
      [&] { return Get(server, id).state() == v1::TASK_STATE_SUCCEEDED; },
      absl::Seconds(60)));
  auto replay = Http("POST", url, R"({"prompt": "once"})", {kKeyHeader, key});
  EXPECT_EQ(replay.status, 200);
  EXPECT_EQ(replay.body, first.body);  // the same bytes, shape included
  auto other = Http("POST", url, R"({"prompt": "twice"})", {kKeyHeader, key});
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_EQ(other.body,
            R"({"success":false,"data":null,"error":"Idempotency key was )"
            R"(already used for a different request"})");

  v1::SubmitImageRequest req;
  req.set_prompt("once");
  req.set_idempotency_key("k-grpc");
  v1::Task a, b, c;
  ASSERT_TRUE(SubmitGrpc(server, req, &a).ok());
  ASSERT_TRUE(WaitFor(
      [&] { return Get(server, a.id()).state() == v1::TASK_STATE_SUCCEEDED; },
      absl::Seconds(60)));
  ASSERT_TRUE(SubmitGrpc(server, req, &b).ok());
  EXPECT_EQ(b.SerializeAsString(), a.SerializeAsString())
      << b.DebugString() << " vs " << a.DebugString();
  req.set_width(640);
  grpc::Status refused = SubmitGrpc(server, req, &c);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(refused.error_message(),
            "Idempotency key was already used for a different request");
}

}  // namespace
}  // namespace mediagw::e2e
