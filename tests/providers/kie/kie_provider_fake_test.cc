// kie provider against scripted upstreams (FakeUpstream) through the real
// CurlMultiClient: the exact requests on the wire, and replies the
// simulator never gives (HTML errors, odd resultJson, resets).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "providers/kie/kie_provider.h"
#include "tests/fakes/fake_upstream.h"
#include "tests/providers/comfyui/provider_test_util.h"
#include "tests/providers/kie/kie_test_util.h"

namespace mediagw::kie {
namespace {

using fakes::FakeUpstream;
using fakes::ScriptedReply;
using ::testing::HasSubstr;
using namespace ::mediagw::comfyui::testing;  // NOLINT: bounded waits
using namespace ::mediagw::kie::testing;      // NOLINT: records

ScriptedReply Json(std::string body, int status = 200) {
  return ScriptedReply::Respond(status, std::move(body),
                                {{"Content-Type", "application/json"}});
}

constexpr char kCreated[] =
    R"({"code":200,"msg":"success","data":{"taskId":"task_grok_12345678"}})";

class KieFakeTest : public ::testing::Test {
 protected:
  std::shared_ptr<Provider> Make(std::string secret = "") {
    KieOptions o;
    o.channel_name = "kie-fake";
    o.base_url = up_.Url("/");  // the trailing slash is dropped
    o.api_key = "k-123";
    o.webhook_secret = std::move(secret);
    o.request_timeout = absl::Seconds(5);
    auto p = NewKieProvider(std::move(o), &http_);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : nullptr;
  }
  TaskRecord Submitted(const std::string& id = "task_grok_12345678") {
    TaskRecord r = ImageRecord("t1");
    r.set_upstream_id(id);
    return r;
  }

  net::CurlMultiClient http_;
  FakeUpstream up_;
};

TEST_F(KieFakeTest, ImageSubmitSendsTheDocumentedRequest) {
  up_.Enqueue(Json(kCreated));
  auto p = Make("secret");
  SubmitContext ctx;
  ctx.callback_url = "https://gw.example/v1/callbacks/t1";
  auto r = SubmitSync(*p, ImageRecord("t1", 1536, 1024), ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->upstream_id, "task_grok_12345678");
  EXPECT_EQ(r->provider_state, "");
  ASSERT_EQ(up_.RequestCount(), 1);
  const auto req = up_.Requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/api/v1/jobs/createTask");
  EXPECT_EQ(req.Header("authorization"), "Bearer k-123");
  EXPECT_EQ(req.Header("content-type"), "application/json");
  EXPECT_EQ(
      req.body,
      R"({"model":"grok-imagine/text-to-image",)"
      R"("callBackUrl":"https://gw.example/v1/callbacks/t1",)"
      R"("input":{"prompt":"a lighthouse at dusk","aspect_ratio":"3:2"}})");
}

TEST_F(KieFakeTest, ModelFromTheRequestAndNoCallbackWithoutASecret) {
  up_.Enqueue(Json(kCreated));
  auto p = Make();
  TaskRecord rec = ImageRecord("t1", 512, 512);
  rec.mutable_request()->set_model("grok-imagine/other");
  SubmitContext ctx;
  ctx.callback_url = "https://gw.example/v1/callbacks/t1";
  ASSERT_TRUE(SubmitSync(*p, rec, ctx).ok());
  EXPECT_EQ(up_.Requests()[0].body,
            R"({"model":"grok-imagine/other","input":{)"
            R"("prompt":"a lighthouse at dusk","aspect_ratio":"1:1"}})");
}

TEST_F(KieFakeTest, VideoSubmitSendsPromptAndInputImageUrl) {
  up_.Enqueue(Json(kCreated));
  auto p = Make();
  SubmitContext ctx;
  ctx.input_url = "https://gw.example/uploads/t1_input.png";
  ASSERT_TRUE(SubmitSync(*p, VideoRecord("t1"), ctx).ok());
  EXPECT_EQ(up_.Requests()[0].body,
            R"({"model":"grok-imagine/image-to-video","input":{)"
            R"("prompt":"waves rolling in",)"
            R"("image_urls":["https://gw.example/uploads/t1_input.png"]}})");
}

TEST_F(KieFakeTest, PollAsksRecordInfoWithTheEncodedId) {
  up_.Enqueue(Json(R"({"code":200,"msg":"success","data":{"taskId":"a b&c",)"
                   R"("state":"generating"}})"));
  auto p = Make();
  auto r = PollSync(*p, Submitted("a b&c"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kRunning);
  const auto req = up_.Requests()[0];
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/api/v1/jobs/recordInfo?taskId=a%20b%26c");
  EXPECT_EQ(req.Header("authorization"), "Bearer k-123");
}

TEST_F(KieFakeTest, SuccessListsEveryResultUrlWithItsType) {
  up_.Enqueue(Json(
      R"({"code":200,"msg":"success","data":{"taskId":"task_grok_12345678",)"
      R"("state":"success","resultJson":"{\"resultUrls\":[)"
      R"(\"https://cdn.example/a.jpeg?x=1\",\"https://cdn.example/b\"]}"}})"));
  auto p = Make();
  auto r = PollSync(*p, Submitted());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->state, UpstreamState::kSucceeded);
  ASSERT_EQ(r->outputs.size(), 2u);
  EXPECT_EQ(r->outputs[0].request.url, "https://cdn.example/a.jpeg?x=1");
  EXPECT_EQ(r->outputs[0].mime_type, "image/jpeg");
  EXPECT_EQ(r->outputs[1].mime_type, "image/png");  // image task fallback
  EXPECT_TRUE(r->outputs[1].external);
  EXPECT_TRUE(r->outputs[1].request.headers.empty());
  EXPECT_EQ(r->progress, 1);
}

TEST_F(KieFakeTest, SuccessWithoutUsableUrlsIsAFailedTask) {
  up_.Enqueue(Json(
      R"({"code":200,"data":{"state":"success","resultJson":"{\"resultUrls\":[]}"}})"));
  auto p = Make();
  auto r = PollSync(*p, Submitted());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kFailed);
  EXPECT_EQ(r->error.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(r->error.message(), HasSubstr("resultUrls"));
}

TEST_F(KieFakeTest, ClientSideFailCodesKeepTheirMeaning) {
  up_.Enqueue(Json(R"({"code":200,"data":{"state":"fail","failCode":422,)"
                   R"("failMsg":"prompt violates policy"}})"));
  auto p = Make();
  auto r = PollSync(*p, Submitted());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kFailed);
  EXPECT_EQ(r->error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r->error.message(), "kie: prompt violates policy (failCode 422)");
}

TEST_F(KieFakeTest, UnknownStateIsAnErrorNotACrash) {
  up_.Enqueue(Json(R"({"code":200,"data":{"state":"teleporting"}})"));
  auto p = Make();
  auto r = PollSync(*p, Submitted());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("teleporting"));
}

TEST_F(KieFakeTest, HtmlGatewayErrorsAreRetryable) {
  up_.Enqueue(Json("<html>502 Bad Gateway</html>", 502));
  auto p = Make();
  auto r = SubmitSync(*p, ImageRecord("t1"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsRetryable(r.status()));
}

// A 429 or 503 carries the upstream's Retry-After on the status, so the
// dispatcher waits at least that long before it tries again.
TEST_F(KieFakeTest, RateLimitAndBusyRepliesCarryRetryAfter) {
  up_.Enqueue(ScriptedReply::Respond(429, "slow down",
                                     {{"Retry-After", "7"}}));
  up_.Enqueue(ScriptedReply::Respond(503, "maintenance",
                                     {{"Retry-After", "12"}}));
  up_.Enqueue(Json(R"({"code":429,"msg":"rate limited"})", 200));
  up_.Enqueue(Json("<html>502</html>", 502));  // a 502 has no Retry-After
  auto p = Make();
  auto limited = SubmitSync(*p, ImageRecord("t1"));
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(ReasonOf(limited.status()), Reason::kRateLimited);
  EXPECT_EQ(RetryAfterOf(limited.status()), absl::Seconds(7))
      << limited.status();
  auto busy = PollSync(*p, Submitted());
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(RetryAfterOf(busy.status()), absl::Seconds(12)) << busy.status();
  // Code 429 in a 200 envelope, without the header: nothing to carry.
  auto enveloped = SubmitSync(*p, ImageRecord("t2"));
  ASSERT_FALSE(enveloped.ok());
  EXPECT_EQ(RetryAfterOf(enveloped.status()), std::nullopt);
  auto bad_gateway = SubmitSync(*p, ImageRecord("t3"));
  ASSERT_FALSE(bad_gateway.ok());
  EXPECT_EQ(RetryAfterOf(bad_gateway.status()), std::nullopt);
}

TEST_F(KieFakeTest, EnvelopeRateLimitCarriesRetryAfter) {
  up_.Enqueue(ScriptedReply::Respond(
      200, R"({"code":429,"msg":"rate limited"})",
      {{"Content-Type", "application/json"}, {"Retry-After", "3"}}));
  auto p = Make();
  auto r = SubmitSync(*p, ImageRecord("t1"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(RetryAfterOf(r.status()), absl::Seconds(3)) << r.status();
}

TEST_F(KieFakeTest, TransportErrorsPassThrough) {
  up_.Enqueue(ScriptedReply::Reset());
  auto p = Make();
  auto r = SubmitSync(*p, ImageRecord("t1"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
}

TEST_F(KieFakeTest, PollWithoutAnUpstreamIdIsNotFoundWithoutARequest) {
  auto p = Make();
  auto r = PollSync(*p, ImageRecord("t1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kNotFound);
  EXPECT_EQ(up_.RequestCount(), 0);
}

TEST(KieProviderTest, RefusesBadBaseUrls) {
  net::CurlMultiClient http;
  for (const char* url : {"", "api.kie.ai", "ftp://api.kie.ai",
                          "https://api.kie.ai/?x", "https://api kie.ai"}) {
    KieOptions o;
    o.channel_name = "c";
    o.base_url = url;
    auto p = NewKieProvider(o, &http);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << url;
  }
  KieOptions o;
  o.base_url = "https://api.kie.ai";
  EXPECT_EQ(NewKieProvider(o, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto p = NewKieProvider(o, &http);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->Name(), "kie");
}

}  // namespace
}  // namespace mediagw::kie
