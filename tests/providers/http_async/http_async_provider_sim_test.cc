// The http_async provider against the in-process simulator, through the
// real CurlMultiClient. Both example vendors are loaded from the shipped
// config/vendors/*.json and created through the provider registry, so
// these tests also prove that a vendor needs configuration only.
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "core/image_info.h"
#include "gmock/gmock.h"
#include "common/status_mapping.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "providers/registry.h"
#include "tests/providers/http_async/vendor_config.h"
#include "tools/sim/sim_server.h"

namespace mediagw::http_async {
namespace {

using ::testing::HasSubstr;
using testing::LoadVendorChannel;

constexpr absl::Duration kWait = absl::Seconds(15);

struct Vendor {
  const char* file;
  const char* prefix;   // where the simulator serves it
  const char* key_env;  // the channel's api_key_env
};
constexpr Vendor kRr3 = {"rr3.json", "/rr3", "MEDIAGW_RR3_KEY"};
constexpr Vendor kFlux = {"fluxjobs.json", "/flux", "MEDIAGW_FLUX_KEY"};

// Runs `start(callback)` and waits (bounded) for the callback's value.
template <typename T, typename Start>
T Await(Start start) {
  struct Slot {
    absl::Notification done;
    std::optional<T> value;
  };
  auto slot = std::make_shared<Slot>();
  start([slot](T v) {
    slot->value.emplace(std::move(v));
    slot->done.Notify();
  });
  if (!slot->done.WaitForNotificationWithTimeout(kWait)) {
    return T(absl::DeadlineExceededError("test wait timed out"));
  }
  return std::move(*slot->value);
}

std::unique_ptr<sim::SimServer> StartSim(absl::Duration step_time) {
  sim::SimOptions o;
  o.step_time = step_time;
  o.start_delay = absl::Milliseconds(5);
  auto sim = std::make_unique<sim::SimServer>(o);
  absl::Status st = sim->Start();
  EXPECT_TRUE(st.ok()) << st;
  return sim;
}

class HttpAsyncSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv(kRr3.key_env, "sim-key", 1);
    setenv(kFlux.key_env, "sim-key", 1);
    sim_ = StartSim(absl::Milliseconds(2));
    config_.mutable_dispatch()->set_request_timeout_ms(10000);
  }
  void TearDown() override {
    http_.Shutdown();
    sim_.reset();
  }

  std::string Base(const sim::SimServer& sim) const {
    return absl::StrCat("http://127.0.0.1:", sim.port());
  }

  // The shipped channel pointed at `sims`, created through the registry.
  std::shared_ptr<Provider> Make(const Vendor& v,
                                 std::vector<const sim::SimServer*> sims = {}) {
    if (sims.empty()) sims.push_back(sim_.get());
    auto channel = LoadVendorChannel(v.file);
    EXPECT_TRUE(channel.ok()) << channel.status();
    if (!channel.ok()) return nullptr;
    channel->clear_base_urls();
    for (const sim::SimServer* s : sims) {
      channel->add_base_urls(absl::StrCat(Base(*s), v.prefix));
    }
    auto p = CreateProvider(*channel, ProviderContext{&http_, &config_});
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : nullptr;
  }

  static TaskRecord Record(int width = 512, int height = 768, int n = 1,
                           int steps = 4, std::string prompt = "a lighthouse") {
    TaskRecord r;
    r.mutable_task()->set_id(absl::StrCat("task-", ++counter_));
    auto* req = r.mutable_request();
    req->set_prompt(std::move(prompt));
    req->set_negative_prompt("blurry");
    req->set_width(width);
    req->set_height(height);
    req->set_steps(steps);
    req->set_seed(42);
    req->set_cfg(3.5);
    req->set_n(n);
    return r;
  }

  absl::StatusOr<SubmitResult> Submit(Provider& p, const TaskRecord& r) {
    return Await<absl::StatusOr<SubmitResult>>(
        [&](auto cb) { p.Submit(r, SubmitContext{}, std::move(cb)); });
  }
  absl::StatusOr<PollResult> Poll(Provider& p, const TaskRecord& r) {
    return Await<absl::StatusOr<PollResult>>(
        [&](auto cb) { p.Poll(r, std::move(cb)); });
  }
  absl::Status Cancel(Provider& p, const TaskRecord& r) {
    return Await<absl::Status>([&](auto cb) { p.Cancel(r, std::move(cb)); });
  }

  // Submits and returns the record as the dispatcher stores it afterwards.
  TaskRecord SubmitOk(Provider& p, TaskRecord r) {
    auto s = Submit(p, r);
    EXPECT_TRUE(s.ok()) << s.status();
    if (s.ok()) {
      r.set_upstream_id(s->upstream_id);
      r.set_provider_state(s->provider_state);
    }
    return r;
  }

  // Polls until a terminal state; `seen` collects every result on the way.
  absl::StatusOr<PollResult> PollUntilDone(
      Provider& p, const TaskRecord& r,
      std::vector<PollResult>* seen = nullptr) {
    const absl::Time end = absl::Now() + kWait;
    while (absl::Now() < end) {
      auto result = Poll(p, r);
      if (!result.ok()) return result;
      if (seen != nullptr) seen->push_back(*result);
      if (result->state != UpstreamState::kQueued &&
          result->state != UpstreamState::kRunning) {
        return result;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return absl::DeadlineExceededError("job never finished");
  }

  absl::StatusOr<std::string> Download(const OutputRef& ref) {
    auto r = Await<absl::StatusOr<HttpResponse>>(
        [&](HttpCallback cb) { http_.Send(ref.request, std::move(cb)); });
    if (!r.ok()) return r.status();
    if (r->status != 200) {
      return absl::UnknownError(absl::StrCat("HTTP ", r->status));
    }
    return r->body;
  }

  void Fault(sim::FaultMode mode, std::string prefix, int status = 500) {
    sim::FaultSpec f;
    f.mode = mode;
    f.status = status;
    f.path_prefix = std::move(prefix);
    sim_->faults().Add(f);
  }

  inline static int counter_ = 0;
  config::Config config_;
  net::CurlMultiClient http_;
  std::unique_ptr<sim::SimServer> sim_;
};

TEST_F(HttpAsyncSimTest, Rr3FromItsConfigFileRunsATaskToSuccess) {
  auto p = Make(kRr3);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->Name(), "http_async");
  EXPECT_TRUE(p->CheckReady().ok());
  EXPECT_EQ(p->PreassignUpstreamId(Record()), "");
  TaskRecord rec = SubmitOk(*p, Record(512, 768));
  EXPECT_FALSE(rec.upstream_id().empty());
  EXPECT_EQ(rec.upstream_id().find_first_not_of("0123456789"),
            std::string::npos)
      << "rr3 ids are numbers: " << rec.upstream_id();
  EXPECT_THAT(rec.provider_state(),
              HasSubstr(absl::StrCat(Base(*sim_), "/rr3")));
  auto done = PollUntilDone(*p, rec);
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_EQ(done->state, UpstreamState::kSucceeded) << done->error;
  EXPECT_EQ(done->progress, 1);
  ASSERT_EQ(done->outputs.size(), 1u);
  EXPECT_TRUE(done->outputs[0].external);
  EXPECT_EQ(done->outputs[0].mime_type, "image/png");
  auto bytes = Download(done->outputs[0]);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  MediaInfo info = SniffMedia(*bytes);
  EXPECT_EQ(info.mime_type, "image/png");
  EXPECT_EQ(info.width, 512);
  EXPECT_EQ(info.height, 768);
}

TEST_F(HttpAsyncSimTest, FluxFromItsConfigFileRunsATaskToSuccess) {
  auto p = Make(kFlux);
  ASSERT_NE(p, nullptr);
  TaskRecord rec = SubmitOk(*p, Record(1024, 768));
  EXPECT_EQ(rec.upstream_id().size(), 36u) << "flux ids are uuids";
  auto done = PollUntilDone(*p, rec);
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_EQ(done->state, UpstreamState::kSucceeded) << done->error;
  ASSERT_EQ(done->outputs.size(), 1u);
  auto bytes = Download(done->outputs[0]);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  MediaInfo info = SniffMedia(*bytes);
  EXPECT_EQ(info.width, 1024);
  EXPECT_EQ(info.height, 768);
}

TEST_F(HttpAsyncSimTest, Rr3BatchGivesNDistinctImages) {
  auto p = Make(kRr3);
  ASSERT_NE(p, nullptr);
  TaskRecord rec = SubmitOk(*p, Record(256, 256, /*n=*/3));
  auto done = PollUntilDone(*p, rec);
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_EQ(done->state, UpstreamState::kSucceeded) << done->error;
  ASSERT_EQ(done->outputs.size(), 3u);
  std::vector<std::string> files;
  for (const OutputRef& ref : done->outputs) {
    auto bytes = Download(ref);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(SniffMedia(*bytes).width, 256);
    files.push_back(*bytes);
  }
  EXPECT_NE(files[0], files[1]);
  EXPECT_NE(files[1], files[2]);
}

TEST_F(HttpAsyncSimTest, ProgressRisesWhileRunning) {
  sim_ = StartSim(absl::Milliseconds(20));
  for (const Vendor& v : {kRr3, kFlux}) {
    auto p = Make(v);
    ASSERT_NE(p, nullptr);
    TaskRecord rec = SubmitOk(*p, Record(512, 512, 1, /*steps=*/50));
    std::vector<PollResult> seen;
    auto done = PollUntilDone(*p, rec, &seen);
    ASSERT_TRUE(done.ok()) << v.file << ": " << done.status();
    ASSERT_EQ(done->state, UpstreamState::kSucceeded) << v.file;
    double last = 0;
    bool partial = false;
    for (const PollResult& r : seen) {
      EXPECT_GE(r.progress, last) << v.file;
      last = r.progress;
      partial = partial || (r.state == UpstreamState::kRunning &&
                            r.progress > 0 && r.progress < 1);
    }
    EXPECT_TRUE(partial) << v.file << ": no partial progress in " << seen.size()
                         << " polls";
  }
}

TEST_F(HttpAsyncSimTest, FailedJobsCarryTheVendorsMessage) {
  for (const Vendor& v : {kRr3, kFlux}) {
    auto p = Make(v);
    ASSERT_NE(p, nullptr);
    sim::FaultSpec f;
    f.mode = sim::FaultMode::kErrorStatus;
    sim_->faults().Add(f);
    TaskRecord rec = SubmitOk(*p, Record());
    auto done = PollUntilDone(*p, rec);
    ASSERT_TRUE(done.ok()) << v.file << ": " << done.status();
    EXPECT_EQ(done->state, UpstreamState::kFailed) << v.file;
    EXPECT_EQ(done->error.code(), absl::StatusCode::kInternal) << v.file;
    EXPECT_THAT(done->error.message(),
                HasSubstr("simulated generation failure"))
        << v.file;
  }
}

TEST_F(HttpAsyncSimTest, ModeratedFluxJobReportsTheReasons) {
  auto p = Make(kFlux);
  ASSERT_NE(p, nullptr);
  TaskRecord rec = SubmitOk(*p, Record(512, 512, 1, 4, "a beach [moderate]"));
  auto done = PollUntilDone(*p, rec);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state, UpstreamState::kFailed);
  EXPECT_THAT(done->error.message(), HasSubstr("Moderation Reasons"));
}

TEST_F(HttpAsyncSimTest, VanishedJobsAreNotFound) {
  for (const Vendor& v : {kRr3, kFlux}) {
    auto p = Make(v);
    ASSERT_NE(p, nullptr);
    sim::FaultSpec f;
    f.mode = sim::FaultMode::kVanish;
    sim_->faults().Add(f);
    TaskRecord rec = SubmitOk(*p, Record());
    auto polled = Poll(*p, rec);
    ASSERT_TRUE(polled.ok()) << v.file << ": " << polled.status();
    EXPECT_EQ(polled->state, UpstreamState::kNotFound) << v.file;
  }
}

TEST_F(HttpAsyncSimTest, WrongKeyIsOurConfigurationProblem) {
  setenv(kRr3.key_env, "wrong-key", 1);
  setenv(kFlux.key_env, "wrong-key", 1);
  for (const Vendor& v : {kRr3, kFlux}) {
    auto p = Make(v);
    ASSERT_NE(p, nullptr);
    auto s = Submit(*p, Record());
    EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition)
        << v.file << ": " << s.status();
  }
}

TEST_F(HttpAsyncSimTest, MissingKeyRefusesWorkWithoutCallingTheVendor) {
  unsetenv(kRr3.key_env);
  auto p = Make(kRr3);
  ASSERT_NE(p, nullptr) << "the channel still loads";
  absl::Status ready = p->CheckReady();
  EXPECT_EQ(ready.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ready.message(),
            "Server configuration error: API key missing for channel 'rr3'");
  EXPECT_EQ(ReasonOf(ready), Reason::kUpstreamKeyMissing);
  auto s = Submit(*p, Record());
  EXPECT_EQ(s.status(), ready);
  EXPECT_EQ(
      sim_->faults().Stats().requests_by_path.count("/rr3/api/v1/generate"),
      0u);
}

TEST_F(HttpAsyncSimTest, InvalidRequestsAreNotRetryable) {
  auto rr3 = Make(kRr3);
  ASSERT_NE(rr3, nullptr);
  auto s = Submit(*rr3, Record(4000, 512));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument)
      << s.status();
  EXPECT_THAT(s.status().message(),
              HasSubstr("width must be between 64 and 2048"));
  auto flux = Make(kFlux);
  ASSERT_NE(flux, nullptr);
  s = Submit(*flux, Record(1000, 512));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument)
      << s.status();
  EXPECT_THAT(s.status().message(), HasSubstr("multiple of 32"));
}

TEST_F(HttpAsyncSimTest, InjectedHttpErrorsMapByStatus) {
  for (const Vendor& v : {kRr3, kFlux}) {
    auto p = Make(v);
    ASSERT_NE(p, nullptr);
    Fault(sim::FaultMode::kHttp500, absl::StrCat(v.prefix, "/"));
    EXPECT_EQ(Submit(*p, Record()).status().code(),
              absl::StatusCode::kUnavailable)
        << v.file;
    Fault(sim::FaultMode::kHttpStatus, absl::StrCat(v.prefix, "/"), 429);
    EXPECT_EQ(Submit(*p, Record()).status().code(),
              absl::StatusCode::kUnavailable)
        << v.file;
    // A poll that gets a truncated reply fails; the next one works.
    TaskRecord rec = SubmitOk(*p, Record());
    Fault(sim::FaultMode::kMalformedJson, absl::StrCat(v.prefix, "/"));
    auto bad = Poll(*p, rec);
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnavailable) << v.file;
    EXPECT_THAT(bad.status().message(),
                HasSubstr("malformed upstream response"));
    auto done = PollUntilDone(*p, rec);
    ASSERT_TRUE(done.ok()) << v.file << ": " << done.status();
    EXPECT_EQ(done->state, UpstreamState::kSucceeded) << v.file;
  }
}

TEST_F(HttpAsyncSimTest, Rr3CancelStopsTheJob) {
  sim_ = StartSim(absl::Milliseconds(50));
  auto p = Make(kRr3);
  ASSERT_NE(p, nullptr);
  TaskRecord rec = SubmitOk(*p, Record(512, 512, 1, /*steps=*/50));
  EXPECT_TRUE(Cancel(*p, rec).ok());
  auto polled = Poll(*p, rec);
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(polled->state, UpstreamState::kFailed);
  EXPECT_THAT(polled->error.message(), HasSubstr("cancelled"));
  EXPECT_TRUE(Cancel(*p, rec).ok()) << "cancelling twice is fine";
  EXPECT_EQ(sim_->faults().Stats().requests_by_path.at(absl::StrCat(
                "/rr3/api/v1/task/", rec.upstream_id(), "/cancel")),
            2);
  // A job the vendor no longer knows needs no cancelling.
  TaskRecord unknown = rec;
  unknown.set_upstream_id("99");
  EXPECT_TRUE(Cancel(*p, unknown).ok());
  // A finished job cannot be cancelled any more: the vendor's refusal shows.
  sim_ = StartSim(absl::Milliseconds(1));
  p = Make(kRr3);
  TaskRecord finished = SubmitOk(*p, Record());
  ASSERT_TRUE(PollUntilDone(*p, finished).ok());
  absl::Status late = Cancel(*p, finished);
  EXPECT_FALSE(late.ok());
  EXPECT_THAT(late.message(), HasSubstr("task already finished"));
}

TEST_F(HttpAsyncSimTest, WithoutACancelCallCancelIsANoOp) {
  auto p = Make(kFlux);
  ASSERT_NE(p, nullptr);
  TaskRecord rec = SubmitOk(*p, Record());
  const int64_t before = sim_->faults().Stats().requests_by_path.size();
  EXPECT_TRUE(Cancel(*p, rec).ok());
  EXPECT_EQ(
      static_cast<int64_t>(sim_->faults().Stats().requests_by_path.size()),
      before);
}

TEST_F(HttpAsyncSimTest, ResumeNeverResubmits) {
  auto p = Make(kRr3);
  ASSERT_NE(p, nullptr);
  TaskRecord rec = Record();
  auto resumed = Await<absl::StatusOr<SubmitResult>>(
      [&](auto cb) { p->Resume(rec, SubmitContext{}, std::move(cb)); });
  EXPECT_EQ(resumed.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(sim_->faults().Stats().jobs_submitted, 0);
  rec = SubmitOk(*p, rec);
  resumed = Await<absl::StatusOr<SubmitResult>>(
      [&](auto cb) { p->Resume(rec, SubmitContext{}, std::move(cb)); });
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->upstream_id, rec.upstream_id());
  EXPECT_EQ(resumed->provider_state, rec.provider_state());
  EXPECT_EQ(sim_->faults().Stats().jobs_submitted, 1);
}

TEST_F(HttpAsyncSimTest, PoolMembersTakeTurnsAndPollsFollowTheJob) {
  auto second = StartSim(absl::Milliseconds(2));
  auto p = Make(kRr3, {sim_.get(), second.get()});
  ASSERT_NE(p, nullptr);
  std::vector<TaskRecord> recs;
  for (int i = 0; i < 4; ++i) recs.push_back(SubmitOk(*p, Record()));
  EXPECT_EQ(sim_->faults().Stats().jobs_submitted, 2);
  EXPECT_EQ(second->faults().Stats().jobs_submitted, 2);
  for (const TaskRecord& rec : recs) {
    auto done = PollUntilDone(*p, rec);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(done->state, UpstreamState::kSucceeded) << rec.provider_state();
  }
}

TEST_F(HttpAsyncSimTest, BadSpecsFailAtCreationNamingTheField) {
  auto channel = LoadVendorChannel("rr3.json", "http://127.0.0.1:1/rr3");
  ASSERT_TRUE(channel.ok());
  (*channel->mutable_http_async()->mutable_state_map())["SUCCESS"] = "ok";
  auto p = CreateProvider(*channel, ProviderContext{&http_, &config_});
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(),
              HasSubstr("config: channel 'rr3'.http_async.state_map[SUCCESS]"));
}

}  // namespace
}  // namespace mediagw::http_async
