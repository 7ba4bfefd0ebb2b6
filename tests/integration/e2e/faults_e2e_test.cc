// End-to-end faults: the real binaries and the simulator, with the server
// killed at the worst moments.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "core/state_machine.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "store/sqlite/sqlite_db.h"
#include "tests/integration/e2e/harness.h"

namespace mediagw::e2e {
namespace {


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
  const std::string id = SubmitLegacy(
      server, R"({"prompt":"a lighthouse held upstream","workflow":"grok"})");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(WaitFor([&] { return SimRequests(sim, "/xai") == 1; },
                      absl::Seconds(20)));
  server.Kill9();  // the simulator is still trickling its answer
  server.Start();
  const v1::Task t = WaitTerminal(server, id, absl::Seconds(30));
  ASSERT_TRUE(IsTerminal(t.state())) << "state " << t.state();
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
  const std::string id = SubmitLegacy(
      server,
      R"({"prompt":"a lighthouse cancelled in flight","workflow":"rr3"})");
  ASSERT_FALSE(id.empty());
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
  const v1::Task t = WaitTerminal(server, id, absl::Seconds(30));
  ASSERT_TRUE(IsTerminal(t.state())) << "state " << t.state();
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

// Another connection holds the database's write lock for longer than the
// store waits for it, while tasks run: their writes fail for a while, are
// retried, and every task still finishes once the lock is let go, each
// upstream job run once.
TEST_F(FaultsE2eTest, TasksFinishAfterTheDatabaseWasLockedUnderThem) {
  Simulator sim(dir_, 40);  // ~a few seconds per task
  ServerOptions o;
  o.poll_interval_ms = 50;
  Server server(dir_, sim.url(), o);
  server.Start();
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    ids.push_back(SubmitLegacy(
        server, absl::StrCat(R"({"prompt": "locked )", i,
                             R"(", "steps": 10, "width": 64, "height": 64})")));
    ASSERT_FALSE(ids.back().empty());
  }
  {
    auto db = store::SqliteDb::Open(dir_ + "/data/mediagw.db",
                                    /*read_only=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Exec("PRAGMA busy_timeout = 10000").ok());
    ASSERT_TRUE((*db)->Exec("BEGIN IMMEDIATE").ok());
    absl::SleepFor(absl::Milliseconds(6500));  // the store waits 5 s
    ASSERT_TRUE((*db)->Exec("ROLLBACK").ok());
  }
  for (const std::string& id : ids) {
    const v1::Task t = WaitTerminal(server, id, absl::Seconds(60));
    EXPECT_EQ(t.state(), v1::TASK_STATE_SUCCEEDED)
        << id << ": " << t.error().message();
  }
  auto stats = json::Parse(sim.Stats().body);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ((*stats)["jobs_submitted"].GetInt(), 50) << sim.Stats().body;
}

// While the store cannot write, the service says it is not ready (REST
// /readyz and the gRPC health of mediagw.v1.MediaService) but stays alive
// (/healthz and the overall "" health service), and submits get 503; once
// the database can be written again it is ready by itself.
TEST_F(FaultsE2eTest, ALockedDatabaseMakesTheServiceNotReadyButAlive) {
  Simulator sim(dir_, 5);
  Server server(dir_, sim.url());
  server.Start();
  auto channel = grpc::CreateChannel(server.grpc_addr(),
                                     grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  auto status_of = [&](const std::string& service) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    EXPECT_TRUE(health->Check(&ctx, req, &resp).ok());
    return resp.status();
  };
  const auto kServing = grpc::health::v1::HealthCheckResponse::SERVING;
  EXPECT_EQ(status_of("mediagw.v1.MediaService"), kServing);
  EXPECT_EQ(Http("GET", server.rest() + "/readyz").status, 200);

  auto db = store::SqliteDb::Open(dir_ + "/data/mediagw.db",
                                  /*read_only=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Exec("PRAGMA busy_timeout = 10000").ok());
  ASSERT_TRUE((*db)->Exec("BEGIN IMMEDIATE").ok());
  HttpResult refused;
  EXPECT_EQ(SubmitLegacy(server, R"({"prompt":"while locked"})",
                         "image_generation", &refused),
            "");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_TRUE(WaitFor(
      [&] { return Http("GET", server.rest() + "/readyz").status == 503; },
      absl::Seconds(5)));
  EXPECT_TRUE(WaitFor(
      [&] { return status_of("mediagw.v1.MediaService") != kServing; },
      absl::Seconds(5)));
  EXPECT_EQ(status_of(""), kServing);
  EXPECT_EQ(Http("GET", server.rest() + "/healthz").status, 200);

  ASSERT_TRUE((*db)->Exec("ROLLBACK").ok());
  EXPECT_TRUE(WaitFor(
      [&] { return Http("GET", server.rest() + "/readyz").status == 200; },
      absl::Seconds(10)));
  EXPECT_TRUE(WaitFor(
      [&] { return status_of("mediagw.v1.MediaService") == kServing; },
      absl::Seconds(5)));
  EXPECT_FALSE(SubmitLegacy(server, R"({"prompt":"after the lock"})").empty());
}

}  // namespace
}  // namespace mediagw::e2e
