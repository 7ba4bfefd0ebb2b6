// The simulated rr3 and flux job APIs' JSON: request validation (with
// malformed input) and reply shapes.
#include <string>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tools/sim/test_json_codec.h"
#include "tools/sim/jobapi_flux_codec.h"
#include "tools/sim/jobapi_rr3_codec.h"

namespace mediagw::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::JsonHas;
using testing::JsonInt;
using testing::JsonIsNull;
using testing::JsonSize;
using testing::JsonString;

TEST(Rr3CodecTest, ParsesAFullRequest) {
  auto r = ParseRr3Generate(
      R"({"prompt":"a cat","negative_prompt":"blurry","width":768,)"
      R"("height":1024,"steps":30,"seed":4294967297,"cfg_scale":6.5,)"
      R"("batch_size":2,"client_ref":"ignored"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->prompt, "a cat");
  EXPECT_EQ(r->negative_prompt, "blurry");
  EXPECT_EQ(r->width, 768);
  EXPECT_EQ(r->height, 1024);
  EXPECT_EQ(r->steps, 30);
  EXPECT_EQ(r->seed, 4294967297);
  EXPECT_EQ(r->cfg_scale, 6.5);
  EXPECT_EQ(r->batch_size, 2);
}

TEST(Rr3CodecTest, DefaultsForAbsentOrNullFields) {
  auto r = ParseRr3Generate(R"({"prompt":"x","seed":null,"width":null})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->width, 512);
  EXPECT_EQ(r->height, 512);
  EXPECT_EQ(r->steps, 20);
  EXPECT_EQ(r->seed, -1);
  EXPECT_EQ(r->batch_size, 1);
}

TEST(Rr3CodecTest, RejectsMalformedRequests) {
  const struct {
    const char* body;
    const char* message;
  } cases[] = {
      {"", "invalid JSON body"},
      {"{\"prompt\":", "invalid JSON body"},
      {"[\"prompt\"]", "invalid JSON body: JSON body must be an object"},
      {"{}", "prompt is required"},
      {R"({"prompt":""})", "prompt is required"},
      {R"({"prompt":5})", "field 'prompt' must be a string"},
      {R"({"prompt":"x","width":"512"})", "field 'width' must be an integer"},
      {R"({"prompt":"x","width":4000})", "width must be between 64 and 2048"},
      {R"({"prompt":"x","height":63})", "height must be between 64 and 2048"},
      {R"({"prompt":"x","steps":0})", "steps must be between 1 and 100"},
      {R"({"prompt":"x","steps":2.5})", "field 'steps' must be an integer"},
      {R"({"prompt":"x","batch_size":5})",
       "batch_size must be between 1 and 4"},
      {R"({"prompt":"x","seed":-2})", "seed must be between -1 and"},
      {R"({"prompt":"x","cfg_scale":31})",
       "cfg_scale must be between 0 and 30"},
      {R"({"prompt":"x","cfg_scale":"7"})",
       "field 'cfg_scale' must be a number"},
      {R"({"prompt":"x","negative_prompt":[]})",
       "field 'negative_prompt' must be a string"},
  };
  for (const auto& c : cases) {
    auto r = ParseRr3Generate(c.body);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_THAT(r.status().message(), HasSubstr(c.message)) << c.body;
  }
  EXPECT_THAT(ParseRr3Generate(
                  absl::StrCat(R"({"prompt":")",
                               std::string(kRr3MaxPromptChars + 1, 'a'), "\"}"))
                  .status()
                  .message(),
              HasSubstr("prompt is longer than"));
}

TEST(Rr3CodecTest, ReplyShapes) {
  EXPECT_EQ(Rr3ErrorJson(401, "invalid \"api\" key"),
            R"({"code":401,"msg":"invalid \"api\" key","data":null})");
  const std::string accepted = Rr3AcceptedJson(1234567890);
  EXPECT_EQ(JsonInt(accepted, "/code"), 0);
  EXPECT_EQ(JsonInt(accepted, "/data/task_id"), 1234567890);

  Rr3TaskView view;
  view.task_id = 1234567891;
  view.status = "SUCCESS";
  view.progress = 100;
  view.images = {"http://h/rr3/files/a.png", "http://h/rr3/files/b.png"};
  std::string json = Rr3TaskJson(view);
  EXPECT_EQ(JsonInt(json, "/data/task_id"), 1234567891);
  EXPECT_EQ(JsonString(json, "/data/status"), "SUCCESS");
  EXPECT_EQ(JsonInt(json, "/data/progress"), 100);
  EXPECT_EQ(JsonSize(json, "/data/images"), 2u);
  EXPECT_EQ(JsonString(json, "/data/images/1"), "http://h/rr3/files/b.png");
  EXPECT_TRUE(JsonIsNull(json, "/data/error"));

  view.status = "FAILED";
  view.images.clear();
  view.error = "boom";
  json = Rr3TaskJson(view);
  EXPECT_EQ(JsonString(json, "/data/error"), "boom");
  EXPECT_EQ(JsonSize(json, "/data/images"), 0u);
}

FluxFieldError FluxError(absl::string_view body) {
  auto parsed = ParseFluxRequest(body);
  const auto* error = std::get_if<FluxFieldError>(&parsed);
  EXPECT_NE(error, nullptr) << body;
  return error != nullptr ? *error : FluxFieldError{};
}

TEST(FluxCodecTest, ParsesARequest) {
  auto parsed = ParseFluxRequest(
      R"({"prompt":"a fox","width":1024,"height":768,"seed":7,"steps":28,)"
      R"("guidance":3.5,"safety_tolerance":2})");
  const auto* r = std::get_if<FluxRequest>(&parsed);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->prompt, "a fox");
  EXPECT_EQ(r->width, 1024);
  EXPECT_EQ(r->height, 768);
  EXPECT_EQ(r->seed, 7);
  EXPECT_EQ(r->steps, 28);
  EXPECT_EQ(r->guidance, 3.5);
  auto minimal = ParseFluxRequest(R"({"prompt":"x","seed":null})");
  ASSERT_TRUE(std::holds_alternative<FluxRequest>(minimal));
  EXPECT_FALSE(std::get<FluxRequest>(minimal).seed.has_value());
}

TEST(FluxCodecTest, RejectsMalformedRequestsLikeFastApi) {
  FluxFieldError e = FluxError("{\"prompt\":");
  EXPECT_EQ(e.type, "json_invalid");
  EXPECT_THAT(e.loc, ElementsAre("body", "0"));
  e = FluxError("[1]");
  EXPECT_EQ(e.type, "model_attributes_type");
  e = FluxError("{}");
  EXPECT_EQ(e.type, "missing");
  EXPECT_THAT(e.loc, ElementsAre("body", "prompt"));
  EXPECT_EQ(FluxError(R"({"prompt":3})").type, "string_type");
  EXPECT_EQ(FluxError(R"({"prompt":""})").type, "string_too_short");
  e = FluxError(R"({"prompt":"x","width":1000})");
  EXPECT_EQ(e.type, "multiple_of");
  EXPECT_EQ(e.msg, "Input should be a multiple of 32");
  EXPECT_THAT(e.loc, ElementsAre("body", "width"));
  EXPECT_EQ(FluxError(R"({"prompt":"x","height":224})").type,
            "greater_than_equal");
  EXPECT_EQ(FluxError(R"({"prompt":"x","height":1472})").type,
            "less_than_equal");
  EXPECT_EQ(FluxError(R"({"prompt":"x","steps":"ten"})").type, "int_type");
  EXPECT_EQ(FluxError(R"({"prompt":"x","steps":51})").type, "less_than_equal");
  EXPECT_EQ(FluxError(R"({"prompt":"x","seed":-1})").type,
            "greater_than_equal");
  EXPECT_EQ(FluxError(R"({"prompt":"x","guidance":"3"})").type, "float_type");
  EXPECT_EQ(FluxError(R"({"prompt":"x","guidance":101})").type,
            "less_than_equal");
}

TEST(FluxCodecTest, ReplyShapes) {
  const std::string validation = FluxValidationJson(
      {{"body", "width"}, "Input should be a multiple of 32", "multiple_of"});
  EXPECT_EQ(JsonString(validation, "/detail/0/loc/1"), "width");
  EXPECT_EQ(JsonString(validation, "/detail/0/type"), "multiple_of");
  EXPECT_EQ(FluxDetailJson("Not authenticated"),
            R"({"detail":"Not authenticated"})");
  const std::string accepted =
      FluxAcceptedJson("abc", "http://h/flux/v1/get_result?id=abc");
  EXPECT_EQ(JsonString(accepted, "/id"), "abc");
  EXPECT_EQ(JsonString(accepted, "/polling_url"),
            "http://h/flux/v1/get_result?id=abc");

  FluxResultView v;
  v.id = "abc";
  v.status = "Pending";
  std::string json = FluxResultJson(v);
  EXPECT_TRUE(JsonIsNull(json, "/result"));
  EXPECT_TRUE(JsonIsNull(json, "/progress"));
  EXPECT_TRUE(JsonIsNull(json, "/details"));

  v.status = "Ready";
  v.sample_url = "http://h/flux/files/abc_0.png";
  v.prompt = "a fox";
  v.seed = 7;
  json = FluxResultJson(v);
  EXPECT_EQ(JsonString(json, "/result/sample"),
            "http://h/flux/files/abc_0.png");
  EXPECT_EQ(JsonInt(json, "/result/seed"), 7);

  v = {};
  v.status = "Error";
  v.error = "OOM";
  json = FluxResultJson(v);
  EXPECT_EQ(JsonString(json, "/details/error"), "OOM");

  v = {};
  v.status = "Content Moderated";
  v.moderation_reasons = {"Simulated"};
  json = FluxResultJson(v);
  EXPECT_EQ(JsonString(json, "/details/Moderation Reasons/0"), "Simulated");
  EXPECT_FALSE(JsonHas(json, "/details/error"));
}

}  // namespace
}  // namespace mediagw::sim
