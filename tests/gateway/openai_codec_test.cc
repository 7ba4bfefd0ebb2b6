// The OpenAI-compatible images codec: both seeds' dialects in, OpenAI's
// shapes out, and errors that name the parameter.
#include "gateway/openai_codec.h"

#include <string>

#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::gateway {
namespace {

using ::testing::HasSubstr;

OpenAiImageRequest Decode(const std::string& body) {
  std::string param;
  auto r = DecodeOpenAiImageRequest(body, &param);
  EXPECT_TRUE(r.ok()) << r.status() << " param=" << param << " in " << body;
  return r.value_or(OpenAiImageRequest{});
}

// The parameter the refusal names.
std::string Refused(const std::string& body) {
  std::string param = "<unset>";
  auto r = DecodeOpenAiImageRequest(body, &param);
  EXPECT_FALSE(r.ok()) << "accepted: " << body;
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
  return param;
}

TEST(OpenAiCodecTest, Seed004ExamplesDecode) {
  OpenAiImageRequest r = Decode(
      R"({"model": "grok-imagine-image-pro", "prompt": "A cat in a tree",
          "n": 1, "response_format": "url"})");
  EXPECT_EQ(r.model, "grok-imagine-image-pro");
  EXPECT_EQ(r.submit.prompt(), "A cat in a tree");
  EXPECT_EQ(r.submit.n(), 1);
  EXPECT_FALSE(r.b64_json);
  EXPECT_FALSE(r.submit.has_width());

  r = Decode(R"({"model": "grok-imagine-image-pro", "prompt": "A cat",
                 "response_format": "b64_json"})");
  EXPECT_TRUE(r.b64_json);
  EXPECT_FALSE(r.submit.has_n());

  r = Decode(R"({"model": "grok-imagine-image", "prompt": "Mountain",
                 "aspect_ratio": "16:9"})");
  EXPECT_EQ(r.submit.width(), 1024);
  EXPECT_EQ(r.submit.height(), 576);

  r = Decode(R"({"model": "grok-imagine-image", "prompt": "Mountain",
                 "resolution": "2k"})");
  EXPECT_EQ(r.submit.width(), 2048);
  EXPECT_EQ(r.submit.height(), 2048);

  r = Decode(R"({"model": "m", "prompt": "p", "aspect_ratio": "9:19.5",
                 "resolution": "2k", "user": "end-user-7"})");
  EXPECT_EQ(r.submit.height(), 2048);
  EXPECT_EQ(r.submit.width(), 944);  // 2048 * 9 / 19.5 = 945.2, to 8
  EXPECT_EQ(r.user, "end-user-7");

  r = Decode(R"({"model": "m", "prompt": "p", "aspect_ratio": "auto"})");
  EXPECT_FALSE(r.submit.has_width());
}

TEST(OpenAiCodecTest, Seed003ExampleDecodesAsItIs) {
  // Verbatim from seed 003, trailing space in "b64_json " included.
  OpenAiImageRequest r = Decode(R"({
    "model": "grok-3-image",
    "prompt": "a cat",
    "size": "960x960",
    "n": 2,
    "aspect_ratio": [
        null,
        "1:1"
    ],
    "quality": [
        null,
        "low"
    ],
    "resolution": [
        null,
        "1k"
    ],
    "response_format": "b64_json "
})");
  EXPECT_EQ(r.model, "grok-3-image");
  EXPECT_EQ(r.submit.n(), 2);
  EXPECT_TRUE(r.b64_json);
  EXPECT_EQ(r.submit.width(), 960);  // size wins over aspect_ratio
  EXPECT_EQ(r.submit.height(), 960);

  r = Decode(R"({"model": "m", "prompt": "p", "aspect_ratio": [null, "3:4"],
                 "resolution": [null]})");
  EXPECT_EQ(r.submit.width(), 768);
  EXPECT_EQ(r.submit.height(), 1024);
}

TEST(OpenAiCodecTest, UnknownMembersAreIgnored) {
  OpenAiImageRequest r = Decode(
      R"({"model": "m", "prompt": "p", "style": "vivid", "background": "auto",
          "output_format": "png", "quality": "hd", "size": "auto"})");
  EXPECT_EQ(r.submit.prompt(), "p");
}

TEST(OpenAiCodecTest, RefusalsNameTheParameter) {
  EXPECT_EQ(Refused(R"({"model": "m"})"), "prompt");
  EXPECT_EQ(Refused(R"({"model": "m", "prompt": "  "})"), "prompt");
  EXPECT_EQ(Refused(R"({"model": "m", "prompt": 5})"), "prompt");
  EXPECT_EQ(Refused(R"({"prompt": "p"})"), "model");
  EXPECT_EQ(Refused(R"({"model": 1, "prompt": "p"})"), "model");
  EXPECT_EQ(Refused(R"({"model": "m", "prompt": "p", "n": 0})"), "n");
  EXPECT_EQ(Refused(R"({"model": "m", "prompt": "p", "n": 11})"), "n");
  EXPECT_EQ(Refused(R"({"model": "m", "prompt": "p", "n": 1.5})"), "n");
  EXPECT_EQ(Refused(R"({"model": "m", "prompt": "p", "n": "2"})"), "n");
  EXPECT_EQ(Refused(R"({"model":"m","prompt":"p","response_format":"png"})"),
            "response_format");
  EXPECT_EQ(Refused(R"({"model":"m","prompt":"p","size":"10x10"})"), "size");
  EXPECT_EQ(Refused(R"({"model":"m","prompt":"p","size":"4096x1024"})"),
            "size");
  EXPECT_EQ(Refused(R"({"model":"m","prompt":"p","size":"big"})"), "size");
  EXPECT_EQ(Refused(R"({"model":"m","prompt":"p","aspect_ratio":"9:1"})"),
            "aspect_ratio");
  EXPECT_EQ(Refused(R"({"model":"m","prompt":"p","aspect_ratio":[1]})"),
            "aspect_ratio");
  EXPECT_EQ(
      Refused(R"({"model":"m","prompt":"p","aspect_ratio":[null,null,null,
          null,null,null,null,null,null,null,null,null]})"),
      "aspect_ratio");
  EXPECT_EQ(Refused(R"({"model":"m","prompt":"p","resolution":"4k"})"),
            "resolution");
  EXPECT_EQ(Refused(R"({"model":"m","prompt":"p","quality":"ultra"})"),
            "quality");
  EXPECT_EQ(Refused(R"({"model":"m","prompt":"p","user":7})"), "user");
  EXPECT_EQ(Refused(absl::StrCat(R"({"model":"m","prompt":"p","user":")",
                                 std::string(257, 'u'), "\"}")),
            "user");
  EXPECT_EQ(Refused("[]"), "");
  EXPECT_EQ(Refused("{"), "");
  EXPECT_EQ(Refused("{\"model\":\"m\",\"prompt\":\"\xff\"}"), "");
}

TEST(OpenAiCodecTest, CoreErrorsGetOpenAiStatusesAndParams) {
  OpenAiError e = OpenAiErrorFor(
      absl::InvalidArgumentError("prompt must be at most 10000 characters"));
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.param, "prompt");
  e = OpenAiErrorFor(absl::InvalidArgumentError("width must be between"));
  EXPECT_EQ(e.param, "size");
  e = OpenAiErrorFor(absl::UnauthenticatedError("Invalid API key"));
  EXPECT_EQ(e.http_status, 401);
  EXPECT_EQ(e.code, "invalid_api_key");
  e = OpenAiErrorFor(absl::NotFoundError("task not found"));
  EXPECT_EQ(e.http_status, 404);
  e = OpenAiErrorFor(absl::AlreadyExistsError("Idempotency key was already"));
  EXPECT_EQ(e.http_status, 409);
  e = OpenAiErrorFor(
      WithReason(absl::UnavailableError("slow down"), Reason::kRateLimited));
  EXPECT_EQ(e.http_status, 429);
  EXPECT_EQ(e.code, "rate_limit_exceeded");
  // The caller's own account: balance short, over a limit.
  e = OpenAiErrorFor(WithReason(absl::FailedPreconditionError(
                                    "Insufficient balance"),
                                Reason::kCallerBalanceShort));
  EXPECT_EQ(e.http_status, 429);
  EXPECT_EQ(e.type, "insufficient_quota");
  EXPECT_EQ(e.code, "insufficient_quota");
  EXPECT_EQ(e.message, "Insufficient balance");
  e = OpenAiErrorFor(WithReason(absl::ResourceExhaustedError("too many"),
                                Reason::kCallerOverLimit));
  EXPECT_EQ(e.http_status, 429);
  EXPECT_EQ(e.code, "rate_limit_exceeded");
  // Without the reason a precondition is no quota.
  e = OpenAiErrorFor(absl::FailedPreconditionError("Insufficient balance"));
  EXPECT_NE(e.code, "insufficient_quota");
  e = OpenAiErrorFor(absl::UnavailableError("store busy"));
  EXPECT_EQ(e.http_status, 503);
  EXPECT_EQ(e.type, "server_error");
  e = OpenAiErrorFor(absl::DeadlineExceededError("late"));
  EXPECT_EQ(e.http_status, 503);
  e = OpenAiErrorFor(absl::InternalError("boom"));
  EXPECT_EQ(e.http_status, 500);
  e = OpenAiErrorFor(absl::UnimplementedError("no"));
  EXPECT_EQ(e.http_status, 500);
}

TEST(OpenAiCodecTest, EncodesOpenAiShapes) {
  OpenAiError e;
  e.http_status = 400;
  e.message = "bad \"n\"";
  e.type = "invalid_request_error";
  e.param = "n";
  EXPECT_EQ(EncodeOpenAiError(e),
            R"({"error":{"message":"bad \"n\"","type":"invalid_request_error",)"
            R"("param":"n","code":null}})");
  OpenAiImage url;
  url.url = "http://h/uploads/t.png";
  OpenAiImage b64;
  b64.b64 = true;
  b64.bytes = "abc";
  EXPECT_EQ(EncodeOpenAiImages(17, {url, b64}),
            R"({"created":17,"data":[{"url":"http://h/uploads/t.png"},)"
            R"({"b64_json":"YWJj"}]})");
  v1::Task task;
  task.set_id("t-1");
  task.set_state(v1::TASK_STATE_PENDING);
  task.mutable_create_time()->set_seconds(5);
  EXPECT_EQ(EncodeOpenAiAccepted(task, "/v1/tasks/t-1"),
            R"({"id":"t-1","object":"image.generation.task","created":5,)"
            R"("status":"pending","status_url":"/v1/tasks/t-1"})");
  ModelTable models({{"a", "wf", "", false}, {"b", "wf2", "m", false}});
  EXPECT_EQ(EncodeOpenAiModels(models),
            R"({"object":"list","data":[)"
            R"({"id":"a","object":"model","created":0,"owned_by":"mediagw"},)"
            R"({"id":"b","object":"model","created":0,"owned_by":"mediagw"}]})");
}

}  // namespace
}  // namespace mediagw::gateway
