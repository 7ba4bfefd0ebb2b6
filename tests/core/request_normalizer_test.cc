#include "core/request_normalizer.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

using ::testing::HasSubstr;

WorkflowInfo Anime() {
  WorkflowInfo w;
  w.name = "anime";
  w.default_cfg = 7;
  w.accepts_model = true;
  w.default_model = "anime/model.safetensors";
  return w;
}

WorkflowInfo Rr3() {
  WorkflowInfo w;
  w.name = "rr3";
  w.default_cfg = 6;
  w.accepts_model = false;
  return w;
}

v1::SubmitImageRequest Prompt(const std::string& p) {
  v1::SubmitImageRequest r;
  r.set_prompt(p);
  return r;
}

void ExpectInvalid(const v1::SubmitImageRequest& r, const WorkflowInfo& w,
                   absl::string_view msg) {
  auto out = NormalizeImageRequest(r, w);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr(msg));
}

TEST(NormalizeImageRequestTest, AppliesDefaults) {
  auto out = NormalizeImageRequest(Prompt("a cat"), Anime());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->prompt(), "a cat");
  EXPECT_EQ(out->workflow(), "default");
  EXPECT_EQ(out->width(), 512);
  EXPECT_EQ(out->height(), 512);
  EXPECT_EQ(out->steps(), 20);
  EXPECT_DOUBLE_EQ(out->cfg(), 7);
  EXPECT_EQ(out->negative_prompt(), kBuiltinNegativePrompt);
  EXPECT_EQ(out->model(), "anime/model.safetensors");
  EXPECT_TRUE(out->has_seed());
}

TEST(NormalizeImageRequestTest, CfgDefaultComesFromWorkflow) {
  auto out = NormalizeImageRequest(Prompt("x"), Rr3());
  ASSERT_TRUE(out.ok());
  EXPECT_DOUBLE_EQ(out->cfg(), 6);
}

TEST(NormalizeImageRequestTest, KeepsExplicitValues) {
  v1::SubmitImageRequest r = Prompt("x");
  r.set_negative_prompt("ugly");
  r.set_width(768);
  r.set_height(1024);
  r.set_steps(50);
  r.set_seed(12345);
  r.set_cfg(0);
  r.set_workflow("anime");
  r.set_model("custom.ckpt");
  auto out = NormalizeImageRequest(r, Anime());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->negative_prompt(), "ugly");
  EXPECT_EQ(out->width(), 768);
  EXPECT_EQ(out->height(), 1024);
  EXPECT_EQ(out->steps(), 50);
  EXPECT_EQ(out->seed(), 12345);
  EXPECT_DOUBLE_EQ(out->cfg(), 0);
  EXPECT_EQ(out->workflow(), "anime");
  EXPECT_EQ(out->model(), "custom.ckpt");
}

TEST(NormalizeImageRequestTest, RandomSeedIsRecordedInUint32Range) {
  bool varied = false;
  int64_t first = -2;
  for (int i = 0; i < 50; ++i) {
    v1::SubmitImageRequest r = Prompt("x");
    if (i % 2 == 0) r.set_seed(-1);  // -1 and unset both mean random
    auto out = NormalizeImageRequest(r, Anime());
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE(out->has_seed());
    EXPECT_GE(out->seed(), 0);
    EXPECT_LT(out->seed(), int64_t{1} << 32);
    if (first != -2 && out->seed() != first) varied = true;
    first = out->seed();
  }
  EXPECT_TRUE(varied);
}

TEST(NormalizeImageRequestTest, SeedZeroIsKeptAndBelowMinusOneRejected) {
  v1::SubmitImageRequest r = Prompt("x");
  r.set_seed(0);
  EXPECT_EQ(NormalizeImageRequest(r, Anime())->seed(), 0);
  r.set_seed(-2);
  ExpectInvalid(r, Anime(), "seed");
}

TEST(NormalizeImageRequestTest, SizeLimits) {
  for (int ok : {16, 2048}) {
    v1::SubmitImageRequest r = Prompt("x");
    r.set_width(ok);
    r.set_height(ok);
    EXPECT_TRUE(NormalizeImageRequest(r, Anime()).ok()) << ok;
  }
  for (int bad : {15, 2049, 0, -512}) {
    v1::SubmitImageRequest r = Prompt("x");
    r.set_width(bad);
    ExpectInvalid(r, Anime(), "width must be between 16 and 2048");
    r = Prompt("x");
    r.set_height(bad);
    ExpectInvalid(r, Anime(), "height must be between 16 and 2048");
  }
}

TEST(NormalizeImageRequestTest, StepsLimits) {
  for (int ok : {1, 50}) {
    v1::SubmitImageRequest r = Prompt("x");
    r.set_steps(ok);
    EXPECT_TRUE(NormalizeImageRequest(r, Anime()).ok()) << ok;
  }
  for (int bad : {0, 51, -1}) {
    v1::SubmitImageRequest r = Prompt("x");
    r.set_steps(bad);
    ExpectInvalid(r, Anime(), "steps must be between 1 and 50");
  }
}

TEST(NormalizeImageRequestTest, CfgLimitsAndNaN) {
  for (double ok : {0.0, 30.0, 6.5}) {
    v1::SubmitImageRequest r = Prompt("x");
    r.set_cfg(ok);
    EXPECT_TRUE(NormalizeImageRequest(r, Anime()).ok()) << ok;
  }
  for (double bad : {-0.1, 30.01, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    v1::SubmitImageRequest r = Prompt("x");
    r.set_cfg(bad);
    ExpectInvalid(r, Anime(), "cfg must be between 0 and 30");
  }
}

TEST(NormalizeImageRequestTest, ModelClearedWhenWorkflowDoesNotAcceptIt) {
  v1::SubmitImageRequest r = Prompt("x");
  r.set_model("some.ckpt");
  auto out = NormalizeImageRequest(r, Rr3());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->model(), "");
}

TEST(NormalizeImageRequestTest, ModelPathTraversalRejected) {
  v1::SubmitImageRequest r = Prompt("x");
  r.set_model("../../etc/passwd");
  ExpectInvalid(r, Anime(), "model");
  r.set_model(std::string(257, 'm'));
  ExpectInvalid(r, Anime(), "model");
}

TEST(NormalizeImageRequestTest, MissingPrompt) {
  for (const char* p : {"", " ", "\t\n  \r"}) {
    ExpectInvalid(Prompt(p), Anime(), "Missing prompt");
  }
}

TEST(NormalizeImageRequestTest, PromptLengthLimits) {
  ExpectInvalid(Prompt(std::string(kMaxPromptChars + 1, 'a')), Anime(),
                "prompt must be at most");
  EXPECT_TRUE(
      NormalizeImageRequest(Prompt(std::string(kMaxPromptChars, 'a')), Anime())
          .ok());
  v1::SubmitImageRequest r = Prompt("x");
  r.set_negative_prompt(std::string(kMaxPromptChars + 1, 'a'));
  ExpectInvalid(r, Anime(), "negative_prompt must be at most");
  r = Prompt("x");
  r.set_idempotency_key(std::string(kMaxIdempotencyKeyChars + 1, 'k'));
  ExpectInvalid(r, Anime(), "idempotency_key");
}

TEST(NormalizeImageRequestTest, WorkflowJsonObjectReplacesPrompt) {
  v1::SubmitImageRequest r;
  r.set_workflow_json(R"({"3":{"class_type":"KSampler","inputs":{}}})");
  auto out = NormalizeImageRequest(r, Anime());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->workflow_json(), r.workflow_json());
}

TEST(NormalizeImageRequestTest, WorkflowJsonMustBeANonEmptyObject) {
  for (const char* bad : {"garbage", "[1,2]", "{", "\"str\"", "42"}) {
    v1::SubmitImageRequest r;
    r.set_workflow_json(bad);
    ExpectInvalid(r, Anime(), "workflow_json must be a JSON object");
  }
  v1::SubmitImageRequest r;
  r.set_workflow_json("{}");
  ExpectInvalid(r, Anime(), "workflow_json must not be empty");
}

TEST(NormalizeImageRequestTest, WebhookUrlIsKeptWhenItIsAnHttpUrl) {
  v1::SubmitImageRequest r = Prompt("p");
  r.set_webhook_url("https://hooks.example.com/mediagw?x=1");
  auto out = NormalizeImageRequest(r, Anime());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->webhook_url(), "https://hooks.example.com/mediagw?x=1");

  for (const std::string& bad : std::vector<std::string>{
           "ftp://h/x", "http://", "http:///path", "http://u:p@h/", "h/x",
        "http://h/a b", "http://h/\x01", "http://h/\xc3\xa9",
        "http://h/" + std::string(2048, 'a')}) {
    SCOPED_TRACE(bad);
    r.set_webhook_url(bad);
    auto refused = NormalizeImageRequest(r, Anime());
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(refused.status().message(), HasSubstr("webhook_url"));
  }
}

TEST(NormalizeVideoRequestTest, WebhookUrlIsCheckedAndKept) {
  v1::SubmitVideoRequest r;
  r.set_prompt("p");
  r.set_image("http://h/a.png");
  r.set_webhook_url("http://127.0.0.1:9/hook");
  auto out = NormalizeVideoRequest(r, Anime());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->webhook_url(), "http://127.0.0.1:9/hook");
  r.set_webhook_url("javascript:alert(1)");
  EXPECT_FALSE(NormalizeVideoRequest(r, Anime()).ok());
}

TEST(NormalizeImageRequestTest, WebhookEventsAreCheckedAndCanonical) {
  v1::SubmitImageRequest r = Prompt("p");
  for (const char* e : {"timed_out", "completed", "timed_out", "failed"}) {
    r.add_webhook_events(e);
  }
  auto out = NormalizeImageRequest(r, Anime());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(out->webhook_events(),
              ::testing::ElementsAre("completed", "failed", "timed_out"));
  EXPECT_TRUE(NormalizeImageRequest(Prompt("p"), Anime())->webhook_events()
                  .empty());  // empty = every end
  for (const char* bad : {"succeeded", "COMPLETED", "", "cancelled"}) {
    SCOPED_TRACE(bad);
    v1::SubmitImageRequest b = Prompt("p");
    b.add_webhook_events(bad);
    ExpectInvalid(b, Anime(), "webhook_events");
  }
  v1::SubmitImageRequest many = Prompt("p");
  for (int i = 0; i < 65; ++i) many.add_webhook_events("failed");
  ExpectInvalid(many, Anime(), "webhook_events");
}

TEST(NormalizeVideoRequestTest, WebhookEventsAreCarried) {
  v1::SubmitVideoRequest r;
  r.set_prompt("p");
  r.set_image("http://h/a.png");
  r.add_webhook_events("canceled");
  auto out = NormalizeVideoRequest(r, Anime());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(out->webhook_events(), ::testing::ElementsAre("canceled"));
  r.add_webhook_events("nope");
  EXPECT_FALSE(NormalizeVideoRequest(r, Anime()).ok());
}

}  // namespace
}  // namespace mediagw
