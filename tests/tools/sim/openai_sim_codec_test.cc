// The simulated image APIs' request validation and reply JSON: what each
// vendor refuses (xAI's size and style above all), the seed 003 array forms
// and its example request, sizes, and the error shapes.
#include "tools/sim/openai_sim_codec.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::sim {
namespace {

using ::testing::HasSubstr;

constexpr OpenAiDialect kXai = OpenAiDialect::kXai;
constexpr OpenAiDialect kSeed003 = OpenAiDialect::kSeed003;
constexpr OpenAiDialect kSeed004 = OpenAiDialect::kSeed004;

std::string Rejection(OpenAiDialect d, const std::string& body) {
  auto r = ParseImagesRequest(d, body);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << body;
  return std::string(r.status().message());
}

TEST(OpenAiSimCodecTest, PrefixesPerDialect) {
  EXPECT_EQ(OpenAiPrefix(kXai), "/xai");
  EXPECT_EQ(OpenAiPrefix(kSeed003), "/oai3");
  EXPECT_EQ(OpenAiPrefix(kSeed004), "/oai4");
}

TEST(OpenAiSimCodecTest, XaiRefusesSizeAndStyle) {
  EXPECT_EQ(Rejection(kXai, R"({"model":"grok-imagine-image","prompt":"a",)"
                            R"("size":"1024x1024"})"),
            "Argument not supported: size");
  EXPECT_EQ(Rejection(kXai, R"({"model":"grok-imagine-image","prompt":"a",)"
                            R"("style":"vivid"})"),
            "Argument not supported: style");
  // The gateways ignore what they do not know.
  EXPECT_TRUE(ParseImagesRequest(kSeed004, R"({"model":"m","prompt":"a",)"
                                           R"("style":"vivid"})")
                  .ok());
}

TEST(OpenAiSimCodecTest, XaiValidatesEveryField) {
  const std::string ok = R"("model":"grok-imagine-image","prompt":"a")";
  EXPECT_THAT(Rejection(kXai, R"({"model":"dall-e-3","prompt":"a"})"),
              HasSubstr("The model dall-e-3 does not exist"));
  EXPECT_EQ(Rejection(kXai, R"({"prompt":"a"})"), "model is required");
  EXPECT_EQ(Rejection(kXai, R"({"model":"grok-2-image"})"),
            "prompt is required");
  EXPECT_EQ(Rejection(kXai, R"({"model":"grok-2-image","prompt":" "})"),
            "prompt is required");
  EXPECT_THAT(Rejection(kXai, "{" + ok + R"(,"n":0})"),
              HasSubstr("between 1 and 10"));
  EXPECT_THAT(Rejection(kXai, "{" + ok + R"(,"n":11})"),
              HasSubstr("between 1 and 10"));
  EXPECT_THAT(Rejection(kXai, "{" + ok + R"(,"n":"2"})"), HasSubstr("'n'"));
  EXPECT_THAT(Rejection(kXai, "{" + ok + R"(,"n":1.5})"), HasSubstr("'n'"));
  EXPECT_THAT(Rejection(kXai, "{" + ok + R"(,"response_format":"png"})"),
              HasSubstr("Invalid response_format: png"));
  // Only the seed 003 gateway forgives the trailing space.
  EXPECT_THAT(Rejection(kXai, "{" + ok + R"(,"response_format":"b64_json "})"),
              HasSubstr("Invalid response_format"));
  EXPECT_EQ(Rejection(kXai, "{" + ok + R"(,"aspect_ratio":"5:4"})"),
            "Invalid aspect_ratio: 5:4");
  EXPECT_EQ(Rejection(kXai, "{" + ok + R"(,"resolution":"4k"})"),
            "Invalid resolution: 4k");
  EXPECT_THAT(Rejection(kXai, "{" + ok + R"(,"aspect_ratio":[null,"1:1"]})"),
              HasSubstr("must be a string"));
  EXPECT_THAT(Rejection(kXai, R"({"model":"grok-2-image","prompt":7})"),
              HasSubstr("'prompt'"));
}

TEST(OpenAiSimCodecTest, MalformedBodies) {
  for (OpenAiDialect d : {kXai, kSeed003, kSeed004}) {
    for (const char* body : {"", "{", "[]", "null", "\"text\"",
                             "{\"model\":\"grok-2-image\",\"prompt\":\"a\"",
                             "{\"model\":\"grok-2-image\"}garbage"}) {
      EXPECT_THAT(Rejection(d, body), HasSubstr("Failed to deserialize"))
          << body;
    }
  }
}

TEST(OpenAiSimCodecTest, XaiSizesFollowAspectRatioAndResolution) {
  auto r = ParseImagesRequest(
      kXai, R"({"model":"grok-imagine-image-pro","prompt":"a","n":2,)"
            R"("aspect_ratio":"16:9","resolution":"2k",)"
            R"("response_format":"b64_json","user":"u1"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->n, 2);
  EXPECT_TRUE(r->b64);
  EXPECT_EQ(r->user, "u1");
  ASSERT_EQ(r->dims.size(), 2u);
  EXPECT_EQ(r->dims[1].width, 2048);
  EXPECT_EQ(r->dims[1].height, 1152);

  auto defaults = ParseImagesRequest(kXai, R"({"model":"grok-2-image",)"
                                           R"("prompt":"a"})");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->n, 1);
  EXPECT_FALSE(defaults->b64);
  EXPECT_EQ(defaults->dims[0].width, 1024);
  EXPECT_EQ(defaults->dims[0].height, 1024);
}

TEST(OpenAiSimCodecTest, DimsTable) {
  struct Case {
    const char* ratio;
    const char* res;
    int w;
    int h;
  } cases[] = {{"1:1", "1k", 1024, 1024},  {"16:9", "1k", 1024, 576},
               {"9:16", "2k", 1152, 2048}, {"19.5:9", "1k", 1024, 473},
               {"9:20", "1k", 461, 1024},  {"3:2", "2k", 2048, 1365},
               {"auto", "1k", 1024, 1024}};
  for (const Case& c : cases) {
    auto d = DimsFor(c.ratio, c.res);
    ASSERT_TRUE(d.has_value()) << c.ratio;
    EXPECT_EQ(d->width, c.w) << c.ratio << " " << c.res;
    EXPECT_EQ(d->height, c.h) << c.ratio << " " << c.res;
  }
  EXPECT_FALSE(DimsFor("5:4", "1k").has_value());
  EXPECT_FALSE(DimsFor("1:1", "4k").has_value());
}

TEST(OpenAiSimCodecTest, Seed003ExampleRequestIsAccepted) {
  // The seed 003 request example verbatim, trailing space included.
  const std::string body =
      "{\n    \"model\": \"grok-3-image\",\n    \"prompt\": \"a cat\",\n"
      "    \"size\": \"960x960\",\n    \"n\": 2,\n    \"aspect_ratio\": [\n"
      "        null,\n        \"1:1\"\n    ],\n    \"quality\": [\n"
      "        null,\n        \"low\"\n    ],\n    \"resolution\": [\n"
      "        null,\n        \"1k\"\n    ],\n"
      "    \"response_format\": \"b64_json \"\n}";
  auto r = ParseImagesRequest(kSeed003, body);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->model, "grok-3-image");
  EXPECT_EQ(r->n, 2);
  EXPECT_TRUE(r->b64);
  ASSERT_EQ(r->dims.size(), 2u);
  for (const ImageDims& d : r->dims) {
    EXPECT_EQ(d.width, 960);
    EXPECT_EQ(d.height, 960);
  }
}

TEST(OpenAiSimCodecTest, Seed003PerImageEntriesWithoutSize) {
  auto r =
      ParseImagesRequest(kSeed003, R"({"model":"m","prompt":"a","n":3,)"
                                   R"("aspect_ratio":[null,"16:9","9:16"],)"
                                   R"("resolution":"2k","quality":"high"})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->dims.size(), 3u);
  EXPECT_EQ(r->dims[0].width, 2048);  // null: the default 1:1
  EXPECT_EQ(r->dims[0].height, 2048);
  EXPECT_EQ(r->dims[1].height, 1152);
  EXPECT_EQ(r->dims[2].width, 1152);
}

TEST(OpenAiSimCodecTest, Seed003Rejections) {
  const std::string head = R"({"model":"m","prompt":"a","n":2,)";
  EXPECT_THAT(Rejection(kSeed003, head + R"("aspect_ratio":["1:1"]})"),
              HasSubstr("one entry per image (n = 2), got 1"));
  EXPECT_THAT(Rejection(kSeed003, head + R"("quality":[null,"low","low"]})"),
              HasSubstr("got 3"));
  EXPECT_THAT(Rejection(kSeed003, head + R"("quality":[null,"ultra"]})"),
              HasSubstr("Invalid quality: ultra"));
  EXPECT_THAT(Rejection(kSeed003, head + R"("resolution":[null,2]})"),
              HasSubstr("strings or null"));
  EXPECT_THAT(Rejection(kSeed003, head + R"("aspect_ratio":{"a":1}})"),
              HasSubstr("a string or an array"));
  EXPECT_THAT(Rejection(kSeed003, head + R"("size":"1024x1024"})"),
              HasSubstr("Invalid size: 1024x1024"));
  EXPECT_THAT(Rejection(kSeed003, head + R"("size":960})"),
              HasSubstr("'size'"));
  EXPECT_EQ(Rejection(kSeed003, R"({"prompt":"a"})"), "model is required");
  std::string long_prompt(1001, 'x');
  EXPECT_THAT(
      Rejection(kSeed003, R"({"model":"m","prompt":")" + long_prompt + "\"}"),
      HasSubstr("1000 characters"));
}

TEST(OpenAiSimCodecTest, Seed004Defaults) {
  auto r = ParseImagesRequest(kSeed004,
                              R"({"model":"grok-imagine-image","prompt":"a",)"
                              R"("aspect_ratio":"auto","user":"alice"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->n, 1);
  EXPECT_FALSE(r->b64);
  EXPECT_EQ(r->user, "alice");
  EXPECT_EQ(r->dims[0].width, 1024);
  EXPECT_EQ(r->dims[0].height, 1024);
  EXPECT_THAT(Rejection(kSeed004, R"({"model":"m","prompt":"a","user":5})"),
              HasSubstr("'user'"));
  EXPECT_THAT(Rejection(kSeed004, R"({"model":"m","prompt":"a",)"
                                  R"("aspect_ratio":[null,"1:1"],"n":2})"),
              HasSubstr("must be a string"));
}

TEST(OpenAiSimCodecTest, RepliesPerDialect) {
  const std::vector<GeneratedImage> urls = {{"http://h/xai/files/a.jpg", ""}};
  EXPECT_EQ(ImagesReplyJson(kXai, 1700000000, urls, "a \"cat\""),
            R"({"data":[{"url":"http://h/xai/files/a.jpg",)"
            R"("revised_prompt":"a \"cat\""}]})");
  EXPECT_EQ(ImagesReplyJson(kSeed004, 1700000000, {{"", "QUJD"}}, "p"),
            R"({"created":1700000000,"data":[{"b64_json":"QUJD"}]})");
  EXPECT_EQ(
      ImagesReplyJson(kSeed003, 1700000000, {{"u1", ""}, {"u2", ""}}, "p"),
      R"({"created":1700000000,"data":[{"url":"u1"},{"url":"u2"}],)"
      R"("usage":{"generated_images":2,"output_tokens":32768,)"
      R"("total_tokens":32768}})");
}

TEST(OpenAiSimCodecTest, ErrorShapes) {
  EXPECT_EQ(OpenAiErrorJson(kXai, 400, "Argument not supported: size"),
            R"({"code":"Client specified an invalid argument",)"
            R"("error":"Argument not supported: size"})");
  EXPECT_EQ(OpenAiErrorJson(kXai, 500, "generation failed"),
            R"({"error":{"message":"generation failed","type":"server_error",)"
            R"("code":null}})");
  EXPECT_EQ(OpenAiErrorJson(kSeed003, 401, "Incorrect API key provided"),
            R"({"error":{"message":"Incorrect API key provided",)"
            R"("type":"invalid_request_error","code":"invalid_api_key"}})");
}

}  // namespace
}  // namespace mediagw::sim
