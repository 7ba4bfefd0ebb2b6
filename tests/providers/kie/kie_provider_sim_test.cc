// kie provider against the in-process simulator (tools/sim, prefix /kie)
// through the real CurlMultiClient: whole image and video jobs, every body
// code, job faults, transport faults, resume, and callbacks received by a
// real HTTP server and verified by the provider.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_mapping.h"
#include "core/image_info.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "providers/kie/kie_codec.h"
#include "providers/kie/kie_provider.h"
#include "tests/providers/comfyui/provider_test_util.h"
#include "tests/providers/kie/kie_test_util.h"
#include "tools/sim/sim_server.h"
#include "tools/sim/video_render.h"

namespace mediagw::kie {
namespace {

using ::testing::HasSubstr;
using namespace ::mediagw::comfyui::testing;  // NOLINT: bounded waits
using namespace ::mediagw::kie::testing;      // NOLINT: records, catcher

constexpr char kSecret[] = "sim-webhook-key";

class KieSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartSim(absl::Milliseconds(5), absl::Milliseconds(5));
  }

  void StartSim(absl::Duration step, absl::Duration start_delay) {
    sim::SimOptions o;
    o.step_time = step;
    o.start_delay = start_delay;
    sim_ = std::make_unique<sim::SimServer>(o);
    ASSERT_TRUE(sim_->Start().ok());
    base_ = absl::StrCat("http://127.0.0.1:", sim_->port(), "/kie");
  }

  KieOptions Options() const {
    KieOptions o;
    o.channel_name = "kie-sim";
    o.base_url = base_;
    o.api_key = "sim-key";
    o.request_timeout = absl::Seconds(5);
    return o;
  }

  std::shared_ptr<Provider> Make(KieOptions o) {
    auto p = NewKieProvider(std::move(o), &http_);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : nullptr;
  }
  std::shared_ptr<Provider> Make() { return Make(Options()); }

  void Fault(sim::FaultMode mode, int status = 500,
             std::string prefix = "/kie/api/v1/jobs/createTask",
             int slow_ms = 2000) {
    sim::FaultSpec f;
    f.mode = mode;
    f.status = status;
    f.path_prefix = std::move(prefix);
    f.slow_ms = slow_ms;
    sim_->faults().Add(f);
  }
  int64_t Jobs() const { return sim_->faults().Stats().jobs_submitted; }

  TaskRecord SubmitOk(Provider& p, TaskRecord rec,
                      const SubmitContext& ctx = {}) {
    auto r = SubmitSync(p, rec, ctx);
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) {
      EXPECT_FALSE(r->upstream_id.empty());
      EXPECT_TRUE(r->outputs.empty());
      rec.set_upstream_id(r->upstream_id);
      rec.set_provider_state(r->provider_state);
    }
    return rec;
  }

  // Polls until a terminal state (or an error), bounded; `seen` collects
  // every state on the way.
  absl::StatusOr<PollResult> PollToEnd(
      Provider& p, const TaskRecord& rec,
      std::vector<UpstreamState>* seen = nullptr) {
    const absl::Time end = absl::Now() + kWait;
    while (absl::Now() < end) {
      auto r = PollSync(p, rec);
      if (!r.ok()) return r;
      if (seen != nullptr) seen->push_back(r->state);
      if (r->state == UpstreamState::kSucceeded ||
          r->state == UpstreamState::kFailed ||
          r->state == UpstreamState::kNotFound) {
        return r;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return absl::DeadlineExceededError("the job never ended");
  }

  absl::StatusOr<std::string> Download(const OutputRef& ref) {
    auto [slot, cb] = MakeSlot<absl::StatusOr<HttpResponse>>();
    http_.Send(ref.request, cb);
    auto r = Await<absl::StatusOr<HttpResponse>>(
        slot, absl::DeadlineExceededError("download timed out"));
    if (!r.ok()) return r.status();
    if (r->status != 200) return absl::UnknownError(absl::StrCat(r->status));
    return r->body;
  }

  std::unique_ptr<sim::SimServer> sim_;
  std::string base_;
  net::CurlMultiClient http_;
};

TEST_F(KieSimTest, ImageJobEndsWithADownloadablePngShapedByTheAspectRatio) {
  auto p = Make();
  ASSERT_TRUE(p->CheckReady().ok());
  EXPECT_EQ(p->PreassignUpstreamId(ImageRecord("t1")), "");
  TaskRecord rec = SubmitOk(*p, ImageRecord("t1", 768, 512));
  auto r = PollToEnd(*p, rec);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->state, UpstreamState::kSucceeded) << r->error;
  ASSERT_EQ(r->outputs.size(), 1u);
  const OutputRef& out = r->outputs[0];
  EXPECT_TRUE(out.external);
  EXPECT_EQ(out.mime_type, "image/png");
  EXPECT_TRUE(absl::StrContains(out.request.url, "/kie/files/"))
      << out.request.url;
  // Result hosts are not ours to send the API key to.
  for (const auto& [name, value] : out.request.headers) {
    EXPECT_FALSE(absl::EqualsIgnoreCase(name, "authorization")) << value;
  }
  auto bytes = Download(out);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  MediaInfo info = SniffMedia(*bytes);
  EXPECT_EQ(info.mime_type, "image/png");
  EXPECT_EQ(info.width, 1024);  // 3:2
  EXPECT_EQ(info.height, 683);
  EXPECT_EQ(Jobs(), 1);
}

TEST_F(KieSimTest, StatesGoQueuedThenRunningThenSucceeded) {
  StartSim(absl::Milliseconds(100), absl::Milliseconds(150));
  auto p = Make();
  TaskRecord rec = SubmitOk(*p, ImageRecord("t1", 512, 768));
  std::vector<UpstreamState> seen;
  auto r = PollToEnd(*p, rec, &seen);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->state, UpstreamState::kSucceeded) << r->error;
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front(), UpstreamState::kQueued);
  EXPECT_NE(std::find(seen.begin(), seen.end(), UpstreamState::kRunning),
            seen.end());
  // Never backwards: queued* running* succeeded.
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(static_cast<int>(seen[i]), static_cast<int>(seen[i - 1]));
  }
  auto bytes = Download(r->outputs[0]);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(SniffMedia(*bytes).width, 683);  // 2:3
  EXPECT_EQ(SniffMedia(*bytes).height, 1024);
}

TEST_F(KieSimTest, VideoJobSendsTheInputUrlAndEndsWithAnMp4) {
  auto p = Make();
  SubmitContext ctx;
  ctx.input_url = "http://127.0.0.1:1/uploads/t1_input.png";
  TaskRecord rec = SubmitOk(*p, VideoRecord("t1"), ctx);
  auto r = PollToEnd(*p, rec);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->state, UpstreamState::kSucceeded) << r->error;
  ASSERT_EQ(r->outputs.size(), 1u);
  EXPECT_EQ(r->outputs[0].mime_type, "video/mp4");
  auto bytes = Download(r->outputs[0]);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(SniffMedia(*bytes).mime_type, "video/mp4");
  auto probe = sim::ProbeMp4(*bytes);
  ASSERT_TRUE(probe.ok()) << probe.status();
  EXPECT_GT(probe->frames, 1);
  EXPECT_EQ(probe->width, 256);
}

TEST_F(KieSimTest, VideoWithoutAPublicInputUrlIsRefusedBeforeSending) {
  auto p = Make();
  auto r = SubmitSync(*p, VideoRecord("t1"), SubmitContext{});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Jobs(), 0);
}

TEST_F(KieSimTest, EveryBodyCodeMapsToItsStatus) {
  struct Case {
    int code;
    absl::StatusCode want;
    bool retryable;
  };
  auto p = Make();
  for (const Case& c : std::vector<Case>{
           {401, absl::StatusCode::kFailedPrecondition, false},
           {402, absl::StatusCode::kFailedPrecondition, false},
           {404, absl::StatusCode::kNotFound, false},
           {422, absl::StatusCode::kInvalidArgument, false},
           {429, absl::StatusCode::kUnavailable, true},
           {455, absl::StatusCode::kUnavailable, true},
           {500, absl::StatusCode::kUnavailable, true},
           // Refused before kie accepted the job: retryable at createTask.
           {501, absl::StatusCode::kUnavailable, true},
           {505, absl::StatusCode::kUnavailable, true},
       }) {
    Fault(sim::FaultMode::kHttpStatus, c.code);
    auto r = SubmitSync(*p, ImageRecord("t1"));
    ASSERT_FALSE(r.ok()) << c.code;
    EXPECT_EQ(r.status().code(), c.want) << c.code << ": " << r.status();
    EXPECT_EQ(IsRetryable(r.status()), c.retryable) << c.code;
    EXPECT_THAT(r.status().message(), HasSubstr(absl::StrCat(c.code)));
  }
  EXPECT_EQ(Jobs(), 0);
}

TEST_F(KieSimTest, RefusedKeyIsOurConfigurationProblem) {
  KieOptions o = Options();
  o.api_key = "wrong-key";
  auto p = Make(o);
  auto r = SubmitSync(*p, ImageRecord("t1"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition)
      << r.status();
  EXPECT_FALSE(IsRetryable(r.status()));
}

TEST_F(KieSimTest, UnknownModelIsTheCallersProblem) {
  auto p = Make();
  TaskRecord rec = ImageRecord("t1");
  rec.mutable_request()->set_model("grok-imagine/does-not-exist");
  auto r = SubmitSync(*p, rec);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
      << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("not supported"));
}

TEST_F(KieSimTest, MissingKeyRefusesWorkWithTheConfigurationMessage) {
  KieOptions o = Options();
  o.api_key = "";
  auto p = Make(o);
  absl::Status ready = p->CheckReady();
  EXPECT_EQ(ready.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ready.message(), "Server configuration error: kie API key missing");
  EXPECT_EQ(ReasonOf(ready), Reason::kUpstreamKeyMissing);
  EXPECT_EQ(SubmitSync(*p, ImageRecord("t1")).status(), ready);
  TaskRecord rec = ImageRecord("t1");
  rec.set_upstream_id("task_x");
  EXPECT_EQ(PollSync(*p, rec).status(), ready);
  EXPECT_EQ(Jobs(), 0);
}

TEST_F(KieSimTest, SeveralImagesPerTaskAreRefusedBeforeSending) {
  auto p = Make();
  TaskRecord rec = ImageRecord("t1");
  rec.mutable_request()->set_n(3);
  auto r = SubmitSync(*p, rec);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Jobs(), 0);
}

TEST_F(KieSimTest, VanishedJobIsNotFound) {
  sim::FaultSpec f;
  f.mode = sim::FaultMode::kVanish;
  sim_->faults().Add(f);
  auto p = Make();
  TaskRecord rec = SubmitOk(*p, ImageRecord("t1"));
  auto r = PollToEnd(*p, rec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kNotFound);
  EXPECT_TRUE(r->outputs.empty());
}

TEST_F(KieSimTest, FailedGenerationCarriesFailCodeAndMessage) {
  sim::FaultSpec f;
  f.mode = sim::FaultMode::kErrorStatus;
  sim_->faults().Add(f);
  auto p = Make();
  TaskRecord rec = SubmitOk(*p, ImageRecord("t1"));
  auto r = PollToEnd(*p, rec);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->state, UpstreamState::kFailed);
  EXPECT_EQ(r->error.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(r->error.message(),
            "kie: simulated generation failure (failCode 500)");
}

TEST_F(KieSimTest, UnreadableCreateReplyIsNotRetriedBecauseTheJobExists) {
  Fault(sim::FaultMode::kMalformedJson);
  auto p = Make();
  auto r = SubmitSync(*p, ImageRecord("t1"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal) << r.status();
  EXPECT_FALSE(IsRetryable(r.status()));
  EXPECT_EQ(Jobs(), 1);  // kie did create it: a retry would pay twice
}

TEST_F(KieSimTest, UnreadablePollIsRetryableAndTheNextPollWorks) {
  auto p = Make();
  TaskRecord rec = SubmitOk(*p, ImageRecord("t1"));
  Fault(sim::FaultMode::kMalformedJson, 500, "/kie/api/v1/jobs/recordInfo");
  auto bad = PollSync(*p, rec);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnavailable)
      << bad.status();
  auto r = PollToEnd(*p, rec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kSucceeded);
}

TEST_F(KieSimTest, SlowBodyWithinTheTimeoutSucceedsAndBeyondItTimesOut) {
  Fault(sim::FaultMode::kSlowBody, 500, "/kie/api/v1/jobs/createTask", 300);
  auto p = Make();
  auto ok = SubmitSync(*p, ImageRecord("t1"));
  EXPECT_TRUE(ok.ok()) << ok.status();

  KieOptions o = Options();
  o.request_timeout = absl::Milliseconds(300);
  auto impatient = Make(o);
  Fault(sim::FaultMode::kSlowBody, 500, "/kie/api/v1/jobs/createTask", 1500);
  auto late = SubmitSync(*impatient, ImageRecord("t2"));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded)
      << late.status();
}

TEST_F(KieSimTest, ServerErrorsOnPollAreRetryableErrors) {
  auto p = Make();
  TaskRecord rec = SubmitOk(*p, ImageRecord("t1"));
  Fault(sim::FaultMode::kHttp500, 500, "/kie/api/v1/jobs/recordInfo");
  auto r = PollSync(*p, rec);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  // curl silently retries once on a reused connection that drops, so the
  // drop is armed twice.
  sim::FaultSpec drop;
  drop.mode = sim::FaultMode::kDropConnection;
  drop.count = 2;
  drop.path_prefix = "/kie/api/v1/jobs/recordInfo";
  sim_->faults().Add(drop);
  r = PollSync(*p, rec);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(IsRetryable(r.status())) << r.status();
}

TEST_F(KieSimTest, ResumeNeverResubmits) {
  auto p = Make();
  auto lost = ResumeSync(*p, ImageRecord("t1"));
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Jobs(), 0);

  TaskRecord rec = SubmitOk(*p, ImageRecord("t2"));
  auto found = ResumeSync(*p, rec);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->upstream_id, rec.upstream_id());

  TaskRecord unknown = ImageRecord("t3");
  unknown.set_upstream_id("task_never_made");
  EXPECT_EQ(ResumeSync(*p, unknown).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Jobs(), 1);
}

TEST_F(KieSimTest, CancelIsAcceptedAlthoughKieCannotStopAJob) {
  auto p = Make();
  TaskRecord rec = SubmitOk(*p, ImageRecord("t1"));
  EXPECT_TRUE(CancelSync(*p, rec).ok());
  auto r = PollToEnd(*p, rec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kSucceeded);
}

TEST_F(KieSimTest, CallbackArrivesSignedAndVerifies) {
  CallbackCatcher catcher;
  ASSERT_TRUE(catcher.Start().ok());
  KieOptions o = Options();
  o.webhook_secret = kSecret;
  auto p = Make(o);
  SubmitContext ctx;
  ctx.callback_url = catcher.Url("/v1/callbacks/t1");
  TaskRecord rec = SubmitOk(*p, ImageRecord("t1"), ctx);
  ASSERT_TRUE(catcher.WaitFor(1, kWait)) << "no callback arrived";
  net::ServerRequest got = catcher.Received()[0];
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.path, "/v1/callbacks/t1");
  EXPECT_THAT(got.body, HasSubstr("\"state\":\"success\""));
  EXPECT_THAT(got.body, HasSubstr(rec.upstream_id()));
  CallbackRequest cb = ToCallback(got);
  EXPECT_TRUE(p->VerifyCallback(rec, cb).ok()) << p->VerifyCallback(rec, cb);

  // The same notice about another of our tasks, or tampered with.
  TaskRecord other = rec;
  other.set_upstream_id("task_other");
  EXPECT_EQ(p->VerifyCallback(other, cb).code(),
            absl::StatusCode::kInvalidArgument);
  CallbackRequest forged = cb;
  for (auto& [name, value] : forged.headers) {
    if (name == "x-webhook-signature") value = KieSignature("guess", "x", "1");
  }
  EXPECT_EQ(p->VerifyCallback(rec, forged).code(),
            absl::StatusCode::kUnauthenticated);
  // A channel with another secret does not accept it.
  KieOptions wrong = Options();
  wrong.webhook_secret = "not-the-sim-key";
  EXPECT_EQ(Make(wrong)->VerifyCallback(rec, cb).code(),
            absl::StatusCode::kUnauthenticated);
  // The notice is only a hint: the poll gives the result.
  auto r = PollToEnd(*p, rec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kSucceeded);
}

TEST_F(KieSimTest, FailedJobCallbackAlsoVerifies) {
  CallbackCatcher catcher;
  ASSERT_TRUE(catcher.Start().ok());
  sim::FaultSpec f;
  f.mode = sim::FaultMode::kErrorStatus;
  sim_->faults().Add(f);
  KieOptions o = Options();
  o.webhook_secret = kSecret;
  auto p = Make(o);
  SubmitContext ctx;
  ctx.callback_url = catcher.Url("/v1/callbacks/t1");
  TaskRecord rec = SubmitOk(*p, ImageRecord("t1"), ctx);
  ASSERT_TRUE(catcher.WaitFor(1, kWait)) << "no callback arrived";
  net::ServerRequest got = catcher.Received()[0];
  EXPECT_THAT(got.body, HasSubstr("\"code\":501"));
  EXPECT_THAT(got.body, HasSubstr("\"state\":\"fail\""));
  EXPECT_TRUE(p->VerifyCallback(rec, ToCallback(got)).ok());
}

TEST_F(KieSimTest, NoCallbackUrlIsSentWhenCallbacksCannotBeVerified) {
  CallbackCatcher catcher;
  ASSERT_TRUE(catcher.Start().ok());
  auto p = Make();  // no webhook secret
  SubmitContext ctx;
  ctx.callback_url = catcher.Url("/v1/callbacks/t1");
  TaskRecord rec = SubmitOk(*p, ImageRecord("t1"), ctx);
  auto r = PollToEnd(*p, rec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kSucceeded);
  // The sim posts at the moment the job ends, before the poll sees it.
  EXPECT_FALSE(catcher.WaitFor(1, absl::Milliseconds(300)));
  CallbackRequest any;
  any.body = R"({"data":{"taskId":"x"}})";
  EXPECT_EQ(p->VerifyCallback(rec, any).code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace mediagw::kie
