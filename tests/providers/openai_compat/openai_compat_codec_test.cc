// Request bodies of the two OpenAI-compatible gateway dialects on golden
// JSON, the seed 003 size table, and the requests that cannot run.
#include "providers/openai_compat/openai_compat_codec.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::openai_compat {
namespace {

using ::testing::HasSubstr;

internal::TaskRecord Record(int width, int height, int n,
                            const std::string& owner = "alice") {
  internal::TaskRecord r;
  r.mutable_task()->set_id("t-1");
  r.set_owner(owner);
  auto* req = r.mutable_request();
  req->set_prompt("a cat in a tree");
  req->set_width(width);
  req->set_height(height);
  req->set_n(n);
  req->set_negative_prompt("blurry");
  req->set_seed(42);
  req->set_steps(20);
  return r;
}

TEST(ParseDialectTest, OnlyTheTwoSeeds) {
  EXPECT_EQ(*ParseDialect("seed003"), Dialect::kSeed003);
  EXPECT_EQ(*ParseDialect("seed004"), Dialect::kSeed004);
  for (const char* bad : {"", "seed005", "SEED003", "openai"}) {
    auto d = ParseDialect(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(Seed004BodyTest, Golden) {
  auto body =
      BuildGenerationBody(Dialect::kSeed004, Record(1280, 720, 2), "url");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body,
            R"({"model":"grok-imagine-image","prompt":"a cat in a tree",)"
            R"("n":2,"response_format":"url","aspect_ratio":"16:9",)"
            R"("resolution":"1k","user":"alice"})");
}

TEST(Seed004BodyTest, ModelFromRequestTwoKAndNoUserWithoutOwner) {
  internal::TaskRecord r = Record(1600, 1600, 1, "");
  r.mutable_request()->set_model("grok-imagine-image-pro");
  auto body = BuildGenerationBody(Dialect::kSeed004, r, "b64_json");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body,
            R"({"model":"grok-imagine-image-pro","prompt":"a cat in a tree",)"
            R"("n":1,"response_format":"b64_json","aspect_ratio":"1:1",)"
            R"("resolution":"2k"})");
}

TEST(Seed003BodyTest, GoldenArraysHaveOneEntryPerImageFirstNull) {
  auto body =
      BuildGenerationBody(Dialect::kSeed003, Record(1024, 1024, 2), "b64_json");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, R"({"model":"grok-3-image","prompt":"a cat in a tree",)"
                   R"("size":"960x960","n":2,"aspect_ratio":[null,"1:1"],)"
                   R"("quality":[null,"high"],"resolution":[null,"1k"],)"
                   R"("response_format":"b64_json"})");
}

TEST(Seed003BodyTest, SeedExampleShape) {
  // The seed's example: grok-3-image, "a cat", 960x960, n = 2. Its quality
  // "low" is not ours to choose (we always ask for "high"), and its
  // "b64_json " typo is not copied; the rest matches it byte for byte.
  internal::TaskRecord r;
  r.mutable_request()->set_prompt("a cat");
  r.mutable_request()->set_model("grok-3-image");
  r.mutable_request()->set_width(960);
  r.mutable_request()->set_height(960);
  r.mutable_request()->set_n(2);
  auto body = BuildGenerationBody(Dialect::kSeed003, r, "b64_json");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, R"({"model":"grok-3-image","prompt":"a cat",)"
                   R"("size":"960x960","n":2,"aspect_ratio":[null,"1:1"],)"
                   R"("quality":[null,"high"],"resolution":[null,"1k"],)"
                   R"("response_format":"b64_json"})");
}

TEST(Seed003BodyTest, ThreeImagesNullThenValues) {
  auto body =
      BuildGenerationBody(Dialect::kSeed003, Record(1280, 720, 3), "url");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body,
            R"({"model":"grok-3-image","prompt":"a cat in a tree",)"
            R"("size":"1280x720","n":3,"aspect_ratio":[null,"16:9","16:9"],)"
            R"("quality":[null,"high","high"],)"
            R"("resolution":[null,"1k","1k"],"response_format":"url"})");
}

TEST(Seed003BodyTest, AspectRatioFollowsTheChosenSize) {
  // 4:3 is wanted; the nearest listed size is 1168x784, so 3:2 is sent with
  // it rather than a ratio that contradicts the size.
  auto body =
      BuildGenerationBody(Dialect::kSeed003, Record(1024, 768, 1), "url");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(
      *body,
      R"({"model":"grok-3-image","prompt":"a cat in a tree",)"
      R"("size":"1168x784","n":1,"aspect_ratio":["3:2"],)"
      R"("quality":["high"],"resolution":["1k"],"response_format":"url"})");
}

struct SizeCase {
  int width;
  int height;
  const char* size;
};

TEST(Seed003SizeTest, NearestListedSize) {
  const SizeCase cases[] = {
      {1024, 1024, "960x960"},  {512, 512, "960x960"},
      {1920, 1080, "1280x720"}, {1080, 1920, "720x1280"},
      {1200, 800, "1168x784"},  {800, 1200, "784x1168"},
      {1024, 768, "1168x784"},  {768, 1024, "784x1168"},
      {2048, 1024, "1280x720"}, {0, 0, "960x960"},
  };
  for (const SizeCase& c : cases) {
    EXPECT_EQ(SizeName(NearestSeed003Size(c.width, c.height)), c.size)
        << c.width << "x" << c.height;
  }
  EXPECT_EQ(Seed003Sizes().size(), 5u);
}

TEST(BuildGenerationBodyTest, RequestsThatCannotRun) {
  for (Dialect d : {Dialect::kSeed003, Dialect::kSeed004}) {
    internal::TaskRecord empty = Record(1024, 1024, 1);
    empty.mutable_request()->set_prompt("  ");
    auto r = BuildGenerationBody(d, empty, "url");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "Missing prompt");

    internal::TaskRecord graph = Record(1024, 1024, 1);
    graph.mutable_request()->set_workflow_json(R"({"1":{}})");
    EXPECT_THAT(BuildGenerationBody(d, graph, "url").status().message(),
                HasSubstr("workflow_json"));

    for (int n : {0, 11, -1}) {
      auto bad_n = BuildGenerationBody(d, Record(1024, 1024, n), "url");
      ASSERT_FALSE(bad_n.ok()) << n;
      EXPECT_EQ(bad_n.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(BuildGenerationBodyTest, Seed003PromptLimitCountsCharactersNotBytes) {
  internal::TaskRecord r = Record(1024, 1024, 1);
  std::string cjk;
  for (int i = 0; i < 1000; ++i) cjk += "\xE7\x8C\xAB";  // 猫
  r.mutable_request()->set_prompt(cjk);
  EXPECT_TRUE(BuildGenerationBody(Dialect::kSeed003, r, "url").ok());
  r.mutable_request()->set_prompt(cjk + "x");
  auto too_long = BuildGenerationBody(Dialect::kSeed003, r, "url");
  ASSERT_FALSE(too_long.ok());
  EXPECT_THAT(too_long.status().message(), HasSubstr("1000 characters"));
  // Seed 004 documents no limit.
  EXPECT_TRUE(BuildGenerationBody(Dialect::kSeed004, r, "url").ok());
}

TEST(BuildGenerationBodyTest, PromptIsEscaped) {
  internal::TaskRecord r = Record(1024, 1024, 1, "o\"wner");
  r.mutable_request()->set_prompt("say \"hi\"\n\\");
  auto body = BuildGenerationBody(Dialect::kSeed004, r, "url");
  ASSERT_TRUE(body.ok());
  EXPECT_THAT(*body, HasSubstr(R"("prompt":"say \"hi\"\n\\")"));
  EXPECT_THAT(*body, HasSubstr(R"("user":"o\"wner")"));
}

}  // namespace
}  // namespace mediagw::openai_compat
