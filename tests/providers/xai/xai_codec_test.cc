// The xAI request body on golden JSON: model default and validation, n,
// the width/height -> aspect_ratio + resolution mapping, and the fields
// that must never be sent.
#include "providers/xai/xai_codec.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::xai {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::SubmitImageRequest Request(int width, int height, int n = 1) {
  v1::SubmitImageRequest r;
  r.set_prompt("a futuristic city, cyberpunk style");
  r.set_workflow("grok");
  r.set_width(width);
  r.set_height(height);
  r.set_n(n);
  r.set_negative_prompt("blurry");
  r.set_steps(20);
  r.set_seed(7);
  r.set_cfg(6);
  return r;
}

TEST(XaiBodyTest, GoldenDefaults) {
  auto body = BuildGenerationBody(Request(1024, 1024), "url");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, R"({"model":"grok-imagine-image",)"
                   R"("prompt":"a futuristic city, cyberpunk style","n":1,)"
                   R"("response_format":"url","aspect_ratio":"1:1",)"
                   R"("resolution":"1k"})");
}

TEST(XaiBodyTest, ModelNAndSizeMapping) {
  v1::SubmitImageRequest r = Request(2048, 1152, 4);
  r.set_model("grok-imagine-image-pro");
  auto body = BuildGenerationBody(r, "b64_json");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, R"({"model":"grok-imagine-image-pro",)"
                   R"("prompt":"a futuristic city, cyberpunk style","n":4,)"
                   R"("response_format":"b64_json","aspect_ratio":"16:9",)"
                   R"("resolution":"2k"})");
}

TEST(XaiBodyTest, UnsetSizeAndNMeanSquareOneK) {
  v1::SubmitImageRequest r;
  r.set_prompt("p");
  auto body = BuildGenerationBody(r, "url");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_THAT(*body, HasSubstr(R"("n":1,)"));
  EXPECT_THAT(*body, HasSubstr(R"("aspect_ratio":"1:1","resolution":"1k")"));
}

TEST(XaiBodyTest, NeverSendsSizeStyleOrComfyFields) {
  for (auto [w, h] : {std::pair{512, 512},
                      {768, 1024},
                      {2048, 945},
                      {1536, 640},
                      {16, 2048}}) {
    auto body = BuildGenerationBody(Request(w, h, 2), "url");
    ASSERT_TRUE(body.ok()) << body.status();
    for (const char* field :
         {"\"size\"", "\"style\"", "\"negative", "\"seed\"", "\"steps\"",
          "\"cfg\"", "\"width\"", "\"height\""}) {
      EXPECT_THAT(*body, Not(HasSubstr(field))) << w << "x" << h;
    }
  }
}

TEST(XaiBodyTest, KnownModelsOnly) {
  for (const std::string& m : KnownModels()) {
    v1::SubmitImageRequest r = Request(1024, 1024);
    r.set_model(m);
    EXPECT_TRUE(BuildGenerationBody(r, "url").ok()) << m;
  }
  EXPECT_EQ(KnownModels().size(), 3u);
  v1::SubmitImageRequest r = Request(1024, 1024);
  r.set_model("dall-e-3");
  auto body = BuildGenerationBody(r, "url");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(body.status().message(), HasSubstr("grok-imagine-image-pro"));
}

TEST(XaiBodyTest, RequestsThatCannotRun) {
  v1::SubmitImageRequest empty = Request(1024, 1024);
  empty.set_prompt("\t ");
  EXPECT_EQ(BuildGenerationBody(empty, "url").status().message(),
            "Missing prompt");

  v1::SubmitImageRequest graph = Request(1024, 1024);
  graph.set_workflow_json(R"({"3":{"class_type":"KSampler"}})");
  EXPECT_EQ(BuildGenerationBody(graph, "url").status().code(),
            absl::StatusCode::kInvalidArgument);

  for (int n : {0, 11}) {
    auto r = BuildGenerationBody(Request(1024, 1024, n), "url");
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_THAT(r.status().message(), HasSubstr("between 1 and 10"));
  }
}

}  // namespace
}  // namespace mediagw::xai
