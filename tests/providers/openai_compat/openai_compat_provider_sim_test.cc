// The openai_compat provider against the in-process simulator's seed 003
// ("/oai3") and seed 004 ("/oai4") gateways through the real
// CurlMultiClient: both dialects with URL and b64 results, n outputs, usage
// kept in provider_state, keys, errors, faults, Poll after a restart, and
// construction from a configured channel; a scripted upstream (FakeUpstream)
// for the Retry-After the simulator never sends.
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/status_mapping.h"
#include "common/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "providers/openai_compat/openai_compat_provider.h"
#include "providers/openai_compat/openai_images_codec.h"
#include "providers/registry.h"
#include "tests/fakes/fake_upstream.h"
#include "tests/providers/openai_compat/images_sim_fixture.h"

namespace mediagw::openai_compat {
namespace {

using ::testing::HasSubstr;
using namespace ::mediagw::openai_images::testing;  // NOLINT: test helpers

class OpenAiCompatSimTest : public ImagesSimTest {
 protected:
  std::shared_ptr<Provider> Make(
      Dialect dialect, std::string format = "url",
      std::optional<std::string> key = std::string("sim-key")) {
    OpenAiCompatOptions o;
    o.channel_name = "gw";
    o.dialect = dialect;
    o.base_urls = {absl::StrCat(base_, Prefix(dialect))};
    o.api_key = std::move(key);
    o.response_format = std::move(format);
    o.request_timeout = absl::Seconds(10);
    auto p = NewOpenAiCompatProvider(std::move(o), &http_);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : nullptr;
  }
  static std::string Prefix(Dialect d) {
    return d == Dialect::kSeed003 ? "/oai3" : "/oai4";
  }
};

TEST_F(OpenAiCompatSimTest, Seed003UrlResultWithUsage) {
  auto p = Make(Dialect::kSeed003);
  EXPECT_EQ(p->Name(), "openai_compat");
  auto r = SubmitSync(*p, Record("t-3", 1920, 1080));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->outputs.size(), 1u);
  EXPECT_TRUE(r->outputs[0].external);
  ExpectJpeg(r->outputs[0], 1280, 720);  // the listed size nearest 16:9
  auto state = openai_images::ParseSyncState(r->provider_state);
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_TRUE(state->created.has_value());
  EXPECT_EQ(r->upstream_id, absl::StrCat(*state->created, "-t-3"));
  ASSERT_TRUE(state->usage.has_value());
  EXPECT_EQ(state->usage->generated_images, 1);
  EXPECT_EQ(state->usage->total_tokens, 16384);
}

TEST_F(OpenAiCompatSimTest, Seed003PerImageArraysForThreeImages) {
  auto p = Make(Dialect::kSeed003, "b64_json");
  auto r = SubmitSync(*p, Record("t-33", 800, 1200, 3));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->outputs.size(), 3u);
  for (const OutputRef& out : r->outputs) {
    EXPECT_FALSE(out.external);
    ExpectJpeg(out, 784, 1168);
  }
  auto state = openai_images::ParseSyncState(r->provider_state);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->usage->generated_images, 3);
}

TEST_F(OpenAiCompatSimTest, Seed004UrlAndB64) {
  auto url = SubmitSync(*Make(Dialect::kSeed004), Record("t-4", 1024, 768));
  ASSERT_TRUE(url.ok()) << url.status();
  ExpectJpeg(url->outputs[0], 1024, 768);
  auto state = openai_images::ParseSyncState(url->provider_state);
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->usage.has_value());

  auto b64 = SubmitSync(*Make(Dialect::kSeed004, "b64_json"),
                        Record("t-4b", 1600, 1600));
  ASSERT_TRUE(b64.ok()) << b64.status();
  EXPECT_FALSE(b64->outputs[0].data.empty());
  ExpectJpeg(b64->outputs[0], 2048, 2048);
}

// Replies are parsed and their base64 images decoded on the executor, not
// on the HTTP client's loop thread.
TEST_F(OpenAiCompatSimTest, RepliesAreDecodedOnTheExecutor) {
  ThreadPool pool(1);
  std::thread::id pool_thread;
  {
    absl::Notification seen;
    pool.Schedule([&] {
      pool_thread = std::this_thread::get_id();
      seen.Notify();
    });
    seen.WaitForNotification();
  }
  OpenAiCompatOptions o;
  o.channel_name = "gw";
  o.dialect = Dialect::kSeed004;
  o.base_urls = {absl::StrCat(base_, "/oai4")};
  o.api_key = "sim-key";
  o.response_format = "b64_json";
  o.executor = &pool;
  auto p = NewOpenAiCompatProvider(std::move(o), &http_);
  ASSERT_TRUE(p.ok()) << p.status();
  std::thread::id done_thread;
  auto [slot, cb] = comfyui::testing::MakeSlot<absl::StatusOr<SubmitResult>>();
  (*p)->Submit(Record("t-exec", 1024, 1024, 2), SubmitContext{},
               [&done_thread, cb = cb](absl::StatusOr<SubmitResult> r) {
                 done_thread = std::this_thread::get_id();
                 cb(std::move(r));
               });
  auto r = Await<absl::StatusOr<SubmitResult>>(
      slot, absl::DeadlineExceededError("no answer"));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->outputs.size(), 2u);
  ExpectJpeg(r->outputs[1], 1024, 1024);
  EXPECT_EQ(done_thread, pool_thread);
  pool.Shutdown();
}

TEST_F(OpenAiCompatSimTest, NThreeGivesThreeOutputsInBothDialects) {
  for (Dialect d : {Dialect::kSeed003, Dialect::kSeed004}) {
    auto r = SubmitSync(*Make(d), Record("t-n", 1024, 1024, 3));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->outputs.size(), 3u);
    for (const OutputRef& out : r->outputs) {
      auto bytes = Bytes(out);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      EXPECT_EQ(SniffMedia(*bytes).mime_type, "image/jpeg");
    }
  }
}

TEST_F(OpenAiCompatSimTest, KeysAreCheckedAndAMissingKeyNamesTheChannel) {
  auto wrong = SubmitSync(*Make(Dialect::kSeed004, "url", "nope"),
                          Record("t-k", 1024, 1024));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(wrong.status().message(), HasSubstr("Incorrect API key"));

  auto keyless = Make(Dialect::kSeed003, "url", std::nullopt);
  EXPECT_EQ(keyless->CheckReady().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(keyless->CheckReady().message(),
            "Server configuration error: API key missing for channel 'gw'");
  EXPECT_EQ(ReasonOf(keyless->CheckReady()), Reason::kUpstreamKeyMissing);
  EXPECT_FALSE(SubmitSync(*keyless, Record("t-nk", 1024, 1024)).ok());
  EXPECT_EQ(Generations("/oai3"), 0);
}

TEST_F(OpenAiCompatSimTest, ErrorsAndFaultsMapLikeEveryProvider) {
  auto p = Make(Dialect::kSeed004);
  Fault(sim::FaultMode::kHttpStatus, "/oai4/", 400);
  auto bad = SubmitSync(*p, Record("t-e1", 1024, 1024));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);

  Fault(sim::FaultMode::kHttp500, "/oai4/");
  auto down = SubmitSync(*p, Record("t-e2", 1024, 1024));
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);

  Fault(sim::FaultMode::kHttpStatus, "/oai4/", 429);
  auto busy = SubmitSync(*p, Record("t-e3", 1024, 1024));
  EXPECT_TRUE(IsRetryable(busy.status())) << busy.status();

  Fault(sim::FaultMode::kMalformedJson, "/oai4/");
  auto mal = SubmitSync(*p, Record("t-e4", 1024, 1024));
  EXPECT_THAT(mal.status().message(), HasSubstr("malformed upstream response"));

  JobFault(sim::FaultMode::kErrorStatus);
  auto failed = SubmitSync(*p, Record("t-e5", 1024, 1024));
  EXPECT_THAT(failed.status().message(), HasSubstr("generation failed"));

  Fault(sim::FaultMode::kSlowBody, "/oai4/", 500, 300);
  auto slow = SubmitSync(*p, Record("t-e6", 1024, 1024));
  ASSERT_TRUE(slow.ok()) << slow.status();
  ExpectJpeg(slow->outputs[0], 1024, 1024);
}

TEST_F(OpenAiCompatSimTest, PollAfterRestartReturnsTheSameOutputs) {
  const TaskRecord rec = Record("t-r", 1024, 1024, 2);
  auto r = SubmitSync(*Make(Dialect::kSeed003), rec);
  ASSERT_TRUE(r.ok()) << r.status();
  auto polled = PollSync(*Make(Dialect::kSeed003), Stored(rec, *r));
  ASSERT_TRUE(polled.ok()) << polled.status();
  ASSERT_EQ(polled->state, UpstreamState::kSucceeded);
  ASSERT_EQ(polled->outputs.size(), 2u);
  EXPECT_EQ(polled->outputs[1].request.url, r->outputs[1].request.url);
  ExpectJpeg(polled->outputs[1], 960, 960);
}

TEST_F(OpenAiCompatSimTest, ConfiguredChannelNeedsAKnownDialect) {
  config::Config cfg;
  config::Channel ch;
  ch.set_name("gw");
  ch.set_provider("openai_compat");
  ch.add_base_urls(absl::StrCat(base_, "/oai4"));
  ch.set_api_key_env("MEDIAGW_TEST_OAI_KEY");
  ProviderContext ctx{&http_, &cfg};

  auto none = CreateProvider(ch, ctx);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(none.status().message(), HasSubstr("'gw'"));
  EXPECT_THAT(none.status().message(), HasSubstr("dialect"));
  ch.set_dialect("seed005");
  EXPECT_FALSE(CreateProvider(ch, ctx).ok());

  ch.set_dialect("seed004");
  setenv("MEDIAGW_TEST_OAI_KEY", "sim-key", 1);
  auto p = CreateProvider(ch, ctx);
  unsetenv("MEDIAGW_TEST_OAI_KEY");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->Name(), "openai_compat");
  auto r = SubmitSync(**p, Record("t-cfg", 1024, 1024));
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectJpeg(r->outputs[0], 1024, 1024);
}

// A 429 or 503 from the gateway carries its Retry-After on the status (a
// number of seconds or an HTTP date), so the dispatcher's retry waits at
// least that long; other errors carry none.
TEST_F(OpenAiCompatSimTest, RateLimitAndBusyRepliesCarryRetryAfter) {
  fakes::FakeUpstream up;
  up.Enqueue(fakes::ScriptedReply::Respond(
      429, R"({"error":{"message":"slow down"}})",
      {{"Content-Type", "application/json"}, {"Retry-After", "9"}}));
  up.Enqueue(fakes::ScriptedReply::Respond(
      503, "overloaded",
      {{"Retry-After", absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT",
                                        absl::Now() + absl::Seconds(30),
                                        absl::UTCTimeZone())}}));
  up.Enqueue(fakes::ScriptedReply::Respond(500, "boom",
                                           {{"Retry-After", "9"}}));
  OpenAiCompatOptions o;
  o.channel_name = "gw";
  o.dialect = Dialect::kSeed004;
  o.base_urls = {up.Url("")};
  o.api_key = "k";
  o.request_timeout = absl::Seconds(10);
  auto p = NewOpenAiCompatProvider(std::move(o), &http_);
  ASSERT_TRUE(p.ok()) << p.status();
  auto limited = SubmitSync(**p, Record("t-429", 1024, 1024));
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(ReasonOf(limited.status()), Reason::kRateLimited);
  EXPECT_EQ(RetryAfterOf(limited.status()), absl::Seconds(9))
      << limited.status();
  auto busy = SubmitSync(**p, Record("t-503", 1024, 1024));
  ASSERT_FALSE(busy.ok());
  ASSERT_TRUE(RetryAfterOf(busy.status()).has_value()) << busy.status();
  EXPECT_GT(*RetryAfterOf(busy.status()), absl::Seconds(20));
  EXPECT_LE(*RetryAfterOf(busy.status()), absl::Seconds(30));
  auto failed = SubmitSync(**p, Record("t-500", 1024, 1024));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(RetryAfterOf(failed.status()), std::nullopt);
  EXPECT_EQ(up.RequestCount(), 3);
}

}  // namespace
}  // namespace mediagw::openai_compat
