// End-to-end: channels under failure. The real mediagw and simulator, with
// one channel's base URL pointing at a FaultProxy in front of the
// simulator. A 503 storm on that channel opens its circuit breaker within
// the failure threshold, the tasks fail over to the healthy channel and
// succeed, and upstream submit calls per task stay within the retry budget;
// under resets, a blackhole, a slow drip and cut bodies no task is left
// unfinished after its deadline and none runs twice.
//
// MEDIAGW_FAULT_WINDOW_S sets the 503 window (default 5 s);
// bench/channel_faults.sh runs the 30 s form and prints its figures.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/json.h"
#include "gtest/gtest.h"
#include "tests/fakes/fault_proxy.h"
#include "tests/integration/e2e/harness.h"

namespace mediagw::e2e {
namespace {

using fakes::FaultProxy;
using fakes::ProxyFault;

constexpr int kDeadlineSeconds = 15;

int WindowSeconds() {
  const char* v = std::getenv("MEDIAGW_FAULT_WINDOW_S");
  int s = 0;
  if (v != nullptr && absl::SimpleAtoi(v, &s) && s > 0 && s <= 600) return s;
  return 5;
}

int PortOf(const std::string& url) {
  int port = 0;
  (void)absl::SimpleAtoi(url.substr(url.rfind(':') + 1), &port);
  return port;
}

struct SimCounts {
  int64_t jobs = -1;
  std::vector<std::string> prompt_ids;
};

SimCounts Counts(Simulator& sim) {
  SimCounts out;
  auto doc = json::Parse(sim.Stats().body);
  if (!doc.ok()) return out;
  out.jobs = json::GetInt(*doc, "jobs_submitted").value_or(-1);
  auto ids = json::GetArray(*doc, "prompt_ids");
  if (ids.ok()) {
    for (const auto& v : (*ids)->GetArray()) {
      if (v.IsString()) out.prompt_ids.emplace_back(v.GetString());
    }
  }
  return out;
}

class ChannelFaultsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    sim_ = std::make_unique<Simulator>(dir_, /*step_ms=*/5);
    proxy_ = std::make_unique<FaultProxy>(PortOf(sim_->url()));
    ASSERT_TRUE(proxy_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (!HasFailure()) std::system(("rm -rf " + dir_).c_str());
  }

  // Channel "flaky" (through the proxy) first, then "healthy" (the
  // simulator itself).
  void StartServer() {
    server_ = std::make_unique<Server>(dir_, sim_->url());
    const std::string wf = SourceDir() + "/config/workflows/default.json";
    const std::string cfg = absl::StrCat(R"({
  "server": {"grpc_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
             "ports_file": ")", dir_, R"(/mediagw.ports"},
  "storage": {"data_dir": ")", dir_, R"(/data"},
  "api_keys": [{"name": "e2e", "sha256": ")", Sha256Hex(Server::kKey), R"("}],
  "channels": [
    {"name": "flaky", "provider": "comfyui", "base_urls": [")", proxy_->url(), R"("]},
    {"name": "healthy", "provider": "comfyui", "base_urls": [")", sim_->url(), R"("]}],
  "workflows": [{"name": "default", "channels": ["flaky", "healthy"],
                 "template_file": ")", wf, R"(", "default_cfg": 7,
                 "deadline_seconds": )", kDeadlineSeconds, R"(}],
  "dispatch": {"poll_interval_ms": 100, "request_timeout_ms": 2000,
               "breaker": {"failure_threshold": 5, "base_cooldown_ms": 30000,
                           "max_cooldown_ms": 300000},
               "retry_budget_ratio": 0.2}
})");
    std::ofstream(server_->ConfigPath()) << cfg;
    server_->Start();
    stub_ = server_->Stub();
  }

  std::string Submit() {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::SubmitImageRequest req;
    req.set_prompt("a lighthouse in a storm");
    req.set_width(64);
    req.set_height(64);
    v1::Task t;
    grpc::Status st = stub_->SubmitImage(&ctx, req, &t);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return t.id();
  }

  v1::Task Get(const std::string& id) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::GetTaskRequest req;
    req.set_id(id);
    v1::Task t;
    stub_->GetTask(&ctx, req, &t);
    return t;
  }

  static bool Terminal(v1::TaskState s) {
    return s == v1::TASK_STATE_SUCCEEDED || s == v1::TASK_STATE_FAILED ||
           s == v1::TASK_STATE_CANCELED || s == v1::TASK_STATE_TIMED_OUT;
  }

  // Waits for every task to finish, at most until a little after the last
  // one's deadline; returns how many succeeded, or -1 if any is unfinished.
  int AwaitAll(const std::vector<std::string>& ids, absl::Time last_submit) {
    const absl::Time limit =
        last_submit + absl::Seconds(kDeadlineSeconds) + absl::Seconds(3);
    std::vector<v1::TaskState> states(ids.size(), v1::TASK_STATE_UNSPECIFIED);
    WaitFor(
        [&] {
          bool all = true;
          for (size_t i = 0; i < ids.size(); ++i) {
            if (!Terminal(states[i])) states[i] = Get(ids[i]).state();
            all = all && Terminal(states[i]);
          }
          return all;
        },
        std::max(limit - absl::Now(), absl::Seconds(1)),
        absl::Milliseconds(100));
    int succeeded = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!Terminal(states[i])) {
        ADD_FAILURE() << "task " << ids[i] << " still "
                      << v1::TaskState_Name(states[i]) << " after its deadline";
        return -1;
      }
      if (states[i] == v1::TASK_STATE_SUCCEEDED) ++succeeded;
    }
    return succeeded;
  }

  // No job ran twice: the simulator saw at most one job per task, each
  // under its own prompt id.
  void ExpectNoneRanTwice(size_t tasks) {
    SimCounts c = Counts(*sim_);
    EXPECT_LE(c.jobs, static_cast<int64_t>(tasks));
    std::set<std::string> unique(c.prompt_ids.begin(), c.prompt_ids.end());
    EXPECT_EQ(unique.size(), c.prompt_ids.size());
    if (::testing::Test::HasFailure()) {
      for (const auto& id : c.prompt_ids) std::printf("sim prompt %s\n", id.c_str());
      for (const auto& l : proxy_->RequestLines()) {
        std::printf("proxy %s\n", l.c_str());
      }
    }
  }

  // Submits `n` tasks `every` apart under `fault`, then checks that all
  // finish by their deadline and none runs twice; returns the successes.
  int RunUnder(const ProxyFault& fault, int n, absl::Duration every) {
    StartServer();
    proxy_->SetFault(fault);
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      ids.push_back(Submit());
      absl::SleepFor(every);
    }
    const int ok = AwaitAll(ids, absl::Now());
    ExpectNoneRanTwice(ids.size());
    return ok;
  }

  std::string dir_;
  std::unique_ptr<Simulator> sim_;
  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<v1::MediaService::Stub> stub_;
};

TEST_F(ChannelFaultsE2eTest, A503StormOpensTheBreakerAndTasksFailOver) {
  StartServer();
  const int window_s = WindowSeconds();
  ProxyFault storm;
  storm.kind = ProxyFault::Kind::k503;
  storm.until = absl::Now() + absl::Seconds(window_s);
  storm.retry_after_seconds = 1;
  proxy_->SetFault(storm);
  // A steady stream of tasks through the window (8 a second).
  std::vector<std::string> ids;
  const absl::Time start = absl::Now();
  while (absl::Now() < storm.until) {
    ids.push_back(Submit());
    absl::SleepFor(absl::Milliseconds(125));
  }
  const absl::Duration submit_time = absl::Now() - start;
  const int64_t prompts_in_window = proxy_->CountRequests("POST /prompt");
  const int succeeded = AwaitAll(ids, absl::Now());
  EXPECT_EQ(succeeded, static_cast<int>(ids.size()));
  // The breaker opened within its 5 failures: the flaky channel saw at most
  // 5 submits while it answered 503 (a probe after its 30 s cool-down may
  // add one per cool-down in the long form).
  const int64_t probes = window_s / 30;
  EXPECT_LE(prompts_in_window, 5 + probes);
  // Upstream submit calls: the 503s the proxy answered plus the jobs the
  // simulator took (through the proxy after the storm, or directly).
  SimCounts c = Counts(*sim_);
  const int64_t answered_503 = proxy_->faulted();
  const int64_t calls = prompts_in_window + c.jobs;
  const double per_task = static_cast<double>(calls) / ids.size();
  EXPECT_LE(per_task, 1.2);
  ExpectNoneRanTwice(ids.size());
  const std::string metrics = Http("GET", server_->rest() + "/metrics").body;
  const std::string labels =
      absl::StrCat("{channel=\"flaky\",upstream=\"", proxy_->url(), "\"}");
  EXPECT_NE(metrics.find("mediagw_channel_ejections_total" + labels),
            std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find("mediagw_channel_ejections_total" + labels + " 0"),
            std::string::npos);
  EXPECT_NE(metrics.find("mediagw_channel_breaker_state{channel=\"healthy\""),
            std::string::npos);
  std::printf(
      "[channel-faults] window %d s: %zu tasks submitted in %.1f s, %d "
      "succeeded; flaky channel: %lld submits during the storm, %lld 503s "
      "answered; simulator jobs %lld; upstream submit calls per task %.3f\n",
      window_s, ids.size(), absl::ToDoubleSeconds(submit_time), succeeded,
      static_cast<long long>(prompts_in_window),
      static_cast<long long>(answered_503), static_cast<long long>(c.jobs),
      per_task);
}

TEST_F(ChannelFaultsE2eTest, ResetsOnAcceptAndMidStream) {
  StartServer();
  ProxyFault on_accept;
  on_accept.kind = ProxyFault::Kind::kReset;
  on_accept.requests = 3;
  proxy_->SetFault(on_accept);
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(Submit());
  ProxyFault mid;
  mid.kind = ProxyFault::Kind::kReset;
  mid.match = "POST /prompt";
  mid.reset_after_bytes = 0;  // the simulator took the job; we never hear
  mid.requests = 3;
  absl::SleepFor(absl::Milliseconds(500));
  proxy_->SetFault(mid);
  for (int i = 0; i < 4; ++i) ids.push_back(Submit());
  EXPECT_EQ(AwaitAll(ids, absl::Now()), static_cast<int>(ids.size()));
  ExpectNoneRanTwice(ids.size());
  EXPECT_GT(proxy_->faulted(), 0);
}

TEST_F(ChannelFaultsE2eTest, BlackholedSubmitsEndByTheDeadline) {
  ProxyFault hole;
  hole.kind = ProxyFault::Kind::kBlackhole;
  hole.match = "POST /prompt";
  hole.requests = 3;
  // The unanswered submits are looked up again on their channel (the
  // simulator never got them) and sent once more under the same id.
  EXPECT_EQ(RunUnder(hole, 5, absl::Milliseconds(50)), 5);
  EXPECT_EQ(proxy_->faulted(), 3);
}

TEST_F(ChannelFaultsE2eTest, SlowDripEndsByTheDeadline) {
  ProxyFault drip;
  drip.kind = ProxyFault::Kind::kSlowDrip;
  drip.drip_bytes = 64;
  drip.drip_pause = absl::Milliseconds(20);
  EXPECT_EQ(RunUnder(drip, 5, absl::Milliseconds(50)), 5);
  EXPECT_GT(proxy_->faulted(), 0);
}

TEST_F(ChannelFaultsE2eTest, BodiesCutMidwayEndByTheDeadline) {
  ProxyFault cut;
  cut.kind = ProxyFault::Kind::kCutBody;
  cut.match = "POST /prompt";
  cut.cut_after_bytes = 20;
  cut.requests = 3;
  // The submit answers are cut inside their head: the jobs were queued, so
  // they are found again, not sent to the other channel.
  EXPECT_EQ(RunUnder(cut, 5, absl::Milliseconds(50)), 5);
  EXPECT_EQ(proxy_->faulted(), 3);
  // Output downloads cut inside their body are fetched again.
  ProxyFault cut_output;
  cut_output.kind = ProxyFault::Kind::kCutBody;
  cut_output.match = "GET /view";
  cut_output.cut_after_bytes = 300;
  cut_output.requests = 2;
  proxy_->SetFault(cut_output);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Submit());
  EXPECT_EQ(AwaitAll(ids, absl::Now()), 3);
  ExpectNoneRanTwice(8);
  EXPECT_EQ(proxy_->faulted(), 5);
}

}  // namespace
}  // namespace mediagw::e2e
