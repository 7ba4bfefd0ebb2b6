// The xai provider against the in-process simulator's xAI API ("/xai")
// through the real CurlMultiClient: URL and b64 results, n outputs, the
// key, upstream errors and injected faults, Poll after a restart, Resume,
// Cancel, and construction from a configured channel; a scripted upstream
// (FakeUpstream) for the Retry-After the simulator never sends.
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "providers/openai_compat/openai_images_codec.h"
#include "providers/registry.h"
#include "providers/xai/xai_provider.h"
#include "tests/fakes/fake_upstream.h"
#include "tests/providers/openai_compat/images_sim_fixture.h"

namespace mediagw::xai {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace ::mediagw::openai_images::testing;  // NOLINT: test helpers

constexpr char kPrefix[] = "/xai/";

class XaiSimTest : public ImagesSimTest {
 protected:
  std::shared_ptr<Provider> Make(
      std::optional<std::string> key = std::string("sim-key"),
      std::string format = "url", absl::Duration timeout = absl::Seconds(10)) {
    XaiOptions o;
    o.channel_name = "grok";
    o.base_urls = {absl::StrCat(base_, "/xai/")};
    o.api_key = std::move(key);
    o.response_format = std::move(format);
    o.request_timeout = timeout;
    auto p = NewXaiProvider(std::move(o), &http_);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : nullptr;
  }
};

TEST_F(XaiSimTest, UrlResultIsAnExternalDownloadOfARealJpeg) {
  auto p = Make();
  EXPECT_EQ(p->Name(), "xai");
  EXPECT_TRUE(p->CheckReady().ok());
  EXPECT_EQ(p->PreassignUpstreamId(Record("t-1", 1024, 1024)), "");
  auto r = SubmitSync(*p, Record("t-1", 1024, 1024));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->outputs.size(), 1u);
  const OutputRef& out = r->outputs[0];
  EXPECT_TRUE(out.external);
  EXPECT_TRUE(out.data.empty());
  EXPECT_EQ(out.request.method, "GET");
  EXPECT_THAT(out.request.url, StartsWith(absl::StrCat(base_, "/xai/files/")));
  EXPECT_EQ(out.mime_type, "image/jpeg");
  // Our key never travels to the host of a result URL.
  EXPECT_TRUE(out.request.headers.empty());
  ExpectJpeg(out, 1024, 1024);
  // xAI sends no `created`: the task id is the upstream id.
  EXPECT_EQ(r->upstream_id, "t-1");
  auto state = openai_images::ParseSyncState(r->provider_state);
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->results.size(), 1u);
  EXPECT_EQ(state->results[0], out.request.url);
}

TEST_F(XaiSimTest, SizeMapsToAspectRatioAndResolution) {
  // 1600x900 is 16:9 with a long side over 1536: "2k", 2048x1152. The
  // simulator refuses `size`, so success also shows it was not sent.
  auto p = Make();
  auto r = SubmitSync(*p, Record("t-2k", 1600, 900));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->outputs.size(), 1u);
  ExpectJpeg(r->outputs[0], 2048, 1152);

  auto tall = SubmitSync(*p, Record("t-tall", 640, 1386));  // ~9:19.5
  ASSERT_TRUE(tall.ok()) << tall.status();
  ExpectJpeg(tall->outputs[0], 473, 1024);
}

TEST_F(XaiSimTest, B64ResultIsInlineBytes) {
  auto p = Make("sim-key", "b64_json");
  auto r = SubmitSync(*p, Record("t-b64", 1024, 768));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->outputs.size(), 1u);
  EXPECT_FALSE(r->outputs[0].external);
  EXPECT_EQ(r->outputs[0].mime_type, "image/jpeg");
  ExpectJpeg(r->outputs[0], 1024, 768);
  // Inline bytes cannot survive a restart.
  auto polled = PollSync(*Make("sim-key", "b64_json"),
                         Stored(Record("t-b64", 1024, 768), *r));
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(polled->state, UpstreamState::kFailed);
  EXPECT_EQ(polled->error.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(polled->error.message(), "inline results were lost in a restart");
}

TEST_F(XaiSimTest, NThreeGivesThreeDistinctImages) {
  auto p = Make();
  auto r = SubmitSync(*p, Record("t-3", 1024, 1024, 3));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->outputs.size(), 3u);
  std::set<std::string> bodies;
  for (const OutputRef& out : r->outputs) {
    auto bytes = Bytes(out);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(SniffMedia(*bytes).mime_type, "image/jpeg");
    bodies.insert(*bytes);
  }
  EXPECT_EQ(bodies.size(), 3u);
}

TEST_F(XaiSimTest, WrongKeyIsOurConfigurationProblem) {
  auto p = Make("not-the-key");
  auto r = SubmitSync(*p, Record("t-key", 1024, 1024));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(r.status().message(), HasSubstr("Incorrect API key"));
  EXPECT_FALSE(IsRetryable(r.status()));
}

TEST_F(XaiSimTest, MissingKeyFailsCheckReadyAndSubmitWithoutARequest) {
  auto p = Make(std::nullopt);
  absl::Status ready = p->CheckReady();
  EXPECT_EQ(ready.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ready.message(),
            "Server configuration error: Grok API key missing");
  EXPECT_EQ(ReasonOf(ready), Reason::kUpstreamKeyMissing);
  auto r = SubmitSync(*p, Record("t-nokey", 1024, 1024));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), ready);
  EXPECT_EQ(Generations("/xai"), 0);
}

TEST_F(XaiSimTest, UpstreamClientErrorIsInvalidArgument) {
  Fault(sim::FaultMode::kHttpStatus, kPrefix, 400);
  auto r = SubmitSync(*Make(), Record("t-400", 1024, 1024));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("simulated failure"));
  EXPECT_FALSE(IsRetryable(r.status()));
}

TEST_F(XaiSimTest, UpstreamServerErrorIsRetryable) {
  Fault(sim::FaultMode::kHttp500, kPrefix);
  auto r = SubmitSync(*Make(), Record("t-500", 1024, 1024));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsRetryable(r.status()));
}

TEST_F(XaiSimTest, FailedGenerationCarriesTheUpstreamMessage) {
  JobFault(sim::FaultMode::kErrorStatus);
  auto r = SubmitSync(*Make(), Record("t-gen", 1024, 1024));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("generation failed"));
}

TEST_F(XaiSimTest, MalformedReplyIsAnError) {
  Fault(sim::FaultMode::kMalformedJson, kPrefix);
  auto r = SubmitSync(*Make(), Record("t-mal", 1024, 1024));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("malformed upstream response"));
}

TEST_F(XaiSimTest, DroppedConnectionIsRetryable) {
  Fault(sim::FaultMode::kDropConnection, kPrefix);
  auto r = SubmitSync(*Make(), Record("t-drop", 1024, 1024));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsRetryable(r.status())) << r.status();
  EXPECT_THAT(r.status().message(), StartsWith("xai request failed"));
}

TEST_F(XaiSimTest, SlowBodyWithinTheTimeoutSucceeds) {
  Fault(sim::FaultMode::kSlowBody, kPrefix, 500, 400);
  auto r = SubmitSync(*Make(), Record("t-slow", 1024, 1024));
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectJpeg(r->outputs[0], 1024, 1024);
}

TEST_F(XaiSimTest, SlowBodyPastTheTimeoutIsDeadlineExceeded) {
  Fault(sim::FaultMode::kSlowBody, kPrefix, 500, 1500);
  auto r = SubmitSync(*Make("sim-key", "url", absl::Milliseconds(300)),
                      Record("t-late", 1024, 1024));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(XaiSimTest, VanishedResultUrlIsNotFound) {
  JobFault(sim::FaultMode::kVanish);
  auto r = SubmitSync(*Make(), Record("t-gone", 1024, 1024));
  ASSERT_TRUE(r.ok()) << r.status();
  auto bytes = Bytes(r->outputs[0]);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(XaiSimTest, PollAfterRestartReturnsTheSameOutputs) {
  auto first = Make();
  const TaskRecord rec = Record("t-restart", 1024, 1024, 2);
  auto r = SubmitSync(*first, rec);
  ASSERT_TRUE(r.ok()) << r.status();
  first.reset();  // "restart": a new provider sees only the stored record

  auto second = Make();
  auto polled = PollSync(*second, Stored(rec, *r));
  ASSERT_TRUE(polled.ok()) << polled.status();
  ASSERT_EQ(polled->state, UpstreamState::kSucceeded);
  ASSERT_EQ(polled->outputs.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(polled->outputs[i].request.url, r->outputs[i].request.url);
    EXPECT_TRUE(polled->outputs[i].external);
    ExpectJpeg(polled->outputs[i], 1024, 1024);
  }
  EXPECT_EQ(Generations("/xai"), 1);  // Poll asked nothing upstream
}

TEST_F(XaiSimTest, PollWithoutUsableStateNeverSucceeds) {
  auto p = Make();
  TaskRecord rec = Record("t-nostate", 1024, 1024);
  auto none = PollSync(*p, rec);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->state, UpstreamState::kNotFound);
  rec.set_provider_state(R"({"server":"http://elsewhere"})");
  auto foreign = PollSync(*p, rec);
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(foreign->state, UpstreamState::kFailed);
  EXPECT_EQ(foreign->error.code(), absl::StatusCode::kDataLoss);
}

// Resume is only asked for a request that went out before a restart: xai
// keeps no job to look up, and a second request is a second charge.
TEST_F(XaiSimTest, ResumeNeverSendsTheRequestAgain) {
  auto p = Make();
  TaskRecord rec = Record("t-resume", 1024, 1024);
  auto r = ResumeSync(*p, rec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(sim_->faults().Stats().jobs_submitted, 0);
  EXPECT_EQ(Generations("/xai"), 0);
}

TEST_F(XaiSimTest, CancelIsANoOp) {
  auto p = Make();
  EXPECT_TRUE(CancelSync(*p, Record("t-cancel", 1024, 1024)).ok());
  EXPECT_EQ(Generations("/xai"), 0);
}

TEST_F(XaiSimTest, UnknownModelFailsBeforeAnyRequest) {
  TaskRecord rec = Record("t-model", 1024, 1024);
  rec.mutable_request()->set_model("stable-diffusion-xl");
  auto r = SubmitSync(*Make(), rec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Generations("/xai"), 0);
}

TEST_F(XaiSimTest, UnreachableUpstreamIsRetryable) {
  XaiOptions o;
  o.channel_name = "grok";
  o.base_urls = {"http://127.0.0.1:1"};
  o.api_key = "sim-key";
  auto p = NewXaiProvider(std::move(o), &http_);
  ASSERT_TRUE(p.ok());
  auto r = SubmitSync(**p, Record("t-down", 1024, 1024));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsRetryable(r.status())) << r.status();
}

// Configuration through the registry: the key comes from the environment.
TEST_F(XaiSimTest, RegistryBuildsItFromAChannel) {
  config::Config cfg;
  cfg.mutable_dispatch()->set_request_timeout_ms(10000);
  config::Channel ch;
  ch.set_name("grok");
  ch.set_provider("xai");
  ch.add_base_urls(absl::StrCat(base_, "/xai/v1"));
  ch.set_api_key_env("MEDIAGW_TEST_XAI_KEY");
  ch.set_response_format("b64_json");
  ProviderContext ctx{&http_, &cfg};

  unsetenv("MEDIAGW_TEST_XAI_KEY");
  auto keyless = CreateProvider(ch, ctx);
  ASSERT_TRUE(keyless.ok()) << keyless.status();
  EXPECT_EQ((*keyless)->CheckReady().message(),
            "Server configuration error: Grok API key missing");

  setenv("MEDIAGW_TEST_XAI_KEY", "sim-key", 1);
  auto p = CreateProvider(ch, ctx);
  unsetenv("MEDIAGW_TEST_XAI_KEY");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->Name(), "xai");
  EXPECT_TRUE((*p)->CheckReady().ok());
  auto r = SubmitSync(**p, Record("t-cfg", 1024, 1024));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->outputs[0].data.empty());  // b64_json from the channel

  ch.set_response_format("png");
  auto bad = CreateProvider(ch, ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("'grok'"));
}

// A 429 or 503 from xAI carries its Retry-After on the status, so the
// dispatcher's retry waits at least that long; other errors carry none.
TEST_F(XaiSimTest, RateLimitAndBusyRepliesCarryRetryAfter) {
  fakes::FakeUpstream up;
  up.Enqueue(fakes::ScriptedReply::Respond(
      429, R"({"error":"rate limited"})",
      {{"Content-Type", "application/json"}, {"Retry-After", "4"}}));
  up.Enqueue(fakes::ScriptedReply::Respond(503, "busy",
                                           {{"Retry-After", "11"}}));
  up.Enqueue(fakes::ScriptedReply::Respond(503, "busy, no hint"));
  XaiOptions o;
  o.channel_name = "grok";
  o.base_urls = {up.Url("/")};
  o.api_key = "k";
  o.request_timeout = absl::Seconds(10);
  auto p = NewXaiProvider(std::move(o), &http_);
  ASSERT_TRUE(p.ok()) << p.status();
  auto limited = SubmitSync(**p, Record("t-429", 1024, 1024));
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(ReasonOf(limited.status()), Reason::kRateLimited);
  EXPECT_EQ(RetryAfterOf(limited.status()), absl::Seconds(4))
      << limited.status();
  auto busy = SubmitSync(**p, Record("t-503", 1024, 1024));
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(RetryAfterOf(busy.status()), absl::Seconds(11)) << busy.status();
  auto bare = SubmitSync(**p, Record("t-503b", 1024, 1024));
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(RetryAfterOf(bare.status()), std::nullopt);
  EXPECT_EQ(up.RequestCount(), 3);
}

}  // namespace
}  // namespace mediagw::xai
