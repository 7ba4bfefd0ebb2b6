// End-to-end faults: the real binaries and the simulator, with the server
// killed at the worst moments.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "gtest/gtest.h"
#include "tests/integration/e2e/harness.h"

namespace mediagw::e2e {
namespace {

const std::string kKeyHeader = std::string("x-api-key: ") + Server::kKey;

// Requests the simulator saw under `prefix`, from its own records.
int64_t SimRequests(Simulator& sim, const std::string& prefix) {
  auto doc = json::Parse(sim.Stats().body);
  if (!doc.ok() || !doc->IsObject() || !doc->HasMember("requests")) return -1;
  int64_t n = 0;
  for (const auto& m : (*doc)["requests"].GetObject()) {
    if (absl::StartsWith(m.name.GetString(), prefix)) n += m.value.GetInt64();
  }
  return n;
}

class FaultsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override {
    if (!HasFailure()) std::system(("rm -rf " + dir_).c_str());
  }
  v1::Task Get(const Server& s, const std::string& id) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::GetTaskRequest req;
    req.set_id(id);
    v1::Task t;
    s.Stub()->GetTask(&ctx, req, &t);
    return t;
  }
  std::string dir_;
};

// xai answers in one call: a crash while the simulator holds that call must
// not send it again after the restart (a second call is a second charge).
TEST_F(FaultsE2eTest, SyncUpstreamIsNeverCalledTwiceAcrossAKill) {
  Simulator sim(dir_, 5);
  ServerOptions o;
  o.all_providers = true;
  o.poll_interval_ms = 50;
  Server server(dir_, sim.url(), o);
  server.Start();
  sim.Fault(R"({"mode":"slow_body","count":1,"path_prefix":"/xai","slow_ms":20000})");
  HttpResult r = Http(
      "POST", server.rest() + "/v1/index.php?endpoint=image_generation",
      R"({"prompt":"a lighthouse held upstream","workflow":"grok"})",
      {kKeyHeader});
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = json::Parse(r.body);
  ASSERT_TRUE(doc.ok());
  const std::string id = (*doc)["data"]["id"].GetString();
  ASSERT_TRUE(WaitFor([&] { return SimRequests(sim, "/xai") == 1; },
                      absl::Seconds(20)));
  server.Kill9();  // the simulator is still trickling its answer
  server.Start();
  v1::Task t;
  ASSERT_TRUE(WaitFor(
      [&] {
        t = Get(server, id);
        return t.state() == v1::TASK_STATE_FAILED ||
               t.state() == v1::TASK_STATE_SUCCEEDED;
      },
      absl::Seconds(30)))
      << "state " << t.state();
  EXPECT_EQ(t.state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(t.error().code(), "UNKNOWN");
  EXPECT_TRUE(absl::StartsWith(t.error().message(),
                               "outcome unknown after restart"))
      << t.error().message();
  // Give a wrong resend time to show up.
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(SimRequests(sim, "/xai"), 1);
}

// A cancel while the upstream holds the submit: the task waits for the
// answer, then the job the upstream took is cancelled there, and only then
// does the task end CANCELED (before, the answer was dropped and the job
// ran on, billed).
TEST_F(FaultsE2eTest, CancelRacingASubmitCancelsTheUpstreamJob) {
  Simulator sim(dir_, 5);
  ServerOptions o;
  o.all_providers = true;
  o.poll_interval_ms = 50;
  Server server(dir_, sim.url(), o);
  server.Start();
  sim.Fault(
      R"({"mode":"slow_body","count":1,"path_prefix":"/rr3/api/v1/generate","slow_ms":1500})");
  HttpResult r = Http(
      "POST", server.rest() + "/v1/index.php?endpoint=image_generation",
      R"({"prompt":"a lighthouse cancelled in flight","workflow":"rr3"})",
      {kKeyHeader});
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = json::Parse(r.body);
  ASSERT_TRUE(doc.ok());
  const std::string id = (*doc)["data"]["id"].GetString();
  ASSERT_TRUE(WaitFor(
      [&] { return SimRequests(sim, "/rr3/api/v1/generate") == 1; },
      absl::Seconds(20)));
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::CancelTaskRequest req;
    req.set_id(id);
    v1::Task t;
    grpc::Status st = server.Stub()->CancelTask(&ctx, req, &t);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(t.state(), v1::TASK_STATE_SUBMITTING);  // waits for the answer
  }
  v1::Task t;
  ASSERT_TRUE(WaitFor(
      [&] {
        t = Get(server, id);
        return t.state() == v1::TASK_STATE_CANCELED ||
               t.state() == v1::TASK_STATE_SUCCEEDED ||
               t.state() == v1::TASK_STATE_FAILED;
      },
      absl::Seconds(30)));
  EXPECT_EQ(t.state(), v1::TASK_STATE_CANCELED) << t.error().message();
  // The upstream was told: its cancel route saw the job's id.
  auto stats = json::Parse(sim.Stats().body);
  ASSERT_TRUE(stats.ok());
  int cancels = 0;
  for (const auto& m : (*stats)["requests"].GetObject()) {
    if (absl::EndsWith(m.name.GetString(), "/cancel")) {
      cancels += m.value.GetInt();
    }
  }
  EXPECT_EQ(cancels, 1) << sim.Stats().body;
  EXPECT_EQ(SimRequests(sim, "/rr3/api/v1/generate"), 1);
}

}  // namespace
}  // namespace mediagw::e2e
