// The shared OpenAI-style images codec on golden JSON: the aspect ratio and
// resolution mapping, replies of xAI and both gateway dialects, error
// shapes, malformed replies, base64 decoding and provider_state.
#include "providers/openai_compat/openai_images_codec.h"

#include <string>

#include "absl/strings/escaping.h"
#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::openai_images {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct RatioCase {
  int width;
  int height;
  const char* ratio;
};

TEST(NearestAspectRatioTest, MapsSizesToTheClosestSupportedRatio) {
  const RatioCase cases[] = {
      {1024, 1024, "1:1"},   {1920, 1080, "16:9"},  {1080, 1920, "9:16"},
      {1024, 768, "4:3"},    {768, 1024, "3:4"},    {1200, 800, "3:2"},
      {800, 1200, "2:3"},    {2048, 1024, "2:1"},   {1024, 2048, "1:2"},
      {2048, 945, "19.5:9"}, {945, 2048, "9:19.5"}, {2000, 900, "20:9"},
      {900, 2000, "9:20"},   {1100, 1000, "1:1"},   {1300, 1000, "4:3"},
      {1400, 1000, "4:3"},   {1450, 1000, "3:2"},
  };
  for (const RatioCase& c : cases) {
    EXPECT_EQ(NearestAspectRatio(c.width, c.height), c.ratio)
        << c.width << "x" << c.height;
  }
  // Extremes clamp to the widest and tallest ratios.
  EXPECT_EQ(NearestAspectRatio(2048, 16), "20:9");
  EXPECT_EQ(NearestAspectRatio(16, 2048), "9:20");
  // Nonsense sizes do not crash and fall back to square.
  EXPECT_EQ(NearestAspectRatio(0, 0), "1:1");
  EXPECT_EQ(NearestAspectRatio(-5, 7), "9:20");
}

TEST(NearestAspectRatioTest, EveryListedRatioMapsToItself) {
  ASSERT_EQ(AspectRatios().size(), 13u);
  const RatioCase exact[] = {
      {900, 900, "1:1"},     {1600, 900, "16:9"},   {900, 1600, "9:16"},
      {1200, 900, "4:3"},    {900, 1200, "3:4"},    {1350, 900, "3:2"},
      {900, 1350, "2:3"},    {1800, 900, "2:1"},    {900, 1800, "1:2"},
      {1950, 900, "19.5:9"}, {900, 1950, "9:19.5"}, {2000, 900, "20:9"},
      {900, 2000, "9:20"}};
  for (const RatioCase& c : exact) {
    EXPECT_EQ(NearestAspectRatio(c.width, c.height), c.ratio) << c.ratio;
  }
}

TEST(ResolutionForTest, LongerSideDecides) {
  EXPECT_EQ(ResolutionFor(1024, 1024), "1k");
  EXPECT_EQ(ResolutionFor(1536, 1536), "1k");
  EXPECT_EQ(ResolutionFor(1537, 100), "2k");
  EXPECT_EQ(ResolutionFor(100, 2048), "2k");
}

TEST(ParseImagesReplyTest, Seed003ExampleWithUsage) {
  // The seed 003 response example, byte for byte (CRLF included).
  const std::string body =
      "{\r\n    \"created\": 1773127037,\r\n    \"data\": [\r\n        {\r\n"
      "            \"url\": "
      "\"https://pub-85624410c6c44bdb802187ae2bd8afff.r2.dev"
      "/grok/8903fc79-152b-4b80-b384-d74ae6775b07.jpg\"\r\n        }\r\n"
      "    ],\r\n    \"usage\": {\r\n        \"generated_images\": 1,\r\n"
      "        \"output_tokens\": 16384,\r\n        \"total_tokens\": 16384\r\n"
      "    }\r\n}";
  auto r = ParseImagesReply(200, body, "openai_compat");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->created, 1773127037);
  ASSERT_EQ(r->images.size(), 1u);
  EXPECT_EQ(r->images[0].url,
            "https://pub-85624410c6c44bdb802187ae2bd8afff.r2.dev/grok/"
            "8903fc79-152b-4b80-b384-d74ae6775b07.jpg");
  EXPECT_TRUE(r->images[0].b64_json.empty());
  ASSERT_TRUE(r->usage.has_value());
  EXPECT_EQ(r->usage->generated_images, 1);
  EXPECT_EQ(r->usage->output_tokens, 16384);
  EXPECT_EQ(r->usage->total_tokens, 16384);
  EXPECT_FALSE(r->usage->input_tokens.has_value());
}

TEST(ParseImagesReplyTest, Seed004UrlsAndB64) {
  auto urls = ParseImagesReply(
      200,
      R"({"created":1589478378,"data":[{"url":"https://a/1.jpg"},)"
      R"({"url":"https://a/2.jpg"}]})",
      "openai_compat");
  ASSERT_TRUE(urls.ok()) << urls.status();
  ASSERT_EQ(urls->images.size(), 2u);
  EXPECT_EQ(urls->images[1].url, "https://a/2.jpg");
  EXPECT_FALSE(urls->usage.has_value());

  auto b64 = ParseImagesReply(
      200, R"({"created":1589478378,"data":[{"b64_json":"/9j/4AAQ"}]})",
      "openai_compat");
  ASSERT_TRUE(b64.ok()) << b64.status();
  EXPECT_EQ(b64->images[0].b64_json, "/9j/4AAQ");
  EXPECT_TRUE(b64->images[0].url.empty());
}

TEST(ParseImagesReplyTest, XaiReplyHasNoCreatedAndARevisedPrompt) {
  auto r = ParseImagesReply(
      200,
      R"({"data":[{"url":"https://imgen.x.ai/xai-imgen/a.jpeg",)"
      R"("revised_prompt":"A cat sitting in a tree"}],"usage":null})",
      "xai");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->created.has_value());
  EXPECT_FALSE(r->usage.has_value());
  EXPECT_EQ(r->images[0].url, "https://imgen.x.ai/xai-imgen/a.jpeg");
}

TEST(ParseImagesReplyTest, MalformedRepliesAreUnavailable) {
  const char* bodies[] = {
      "",
      "not json",
      R"({"created":1,"data":[{"url":"https://a/1.jpg"})",  // truncated
      "[]",
      R"({"created":1})",
      R"({"data":{"url":"https://a"}})",
      R"({"data":["https://a/1.jpg"]})",
      R"({"data":[{}]})",
      R"({"data":[{"url":""}]})",
      R"({"data":[{"url":42}]})",
      R"({"data":[{"b64_json":["x"]}]})",
      R"({"data":[{"url":"file:///etc/passwd"}]})",
      R"({"created":"yesterday","data":[{"url":"https://a"}]})",
      R"({"created":1.5,"data":[{"url":"https://a"}]})",
      R"({"data":[{"url":"https://a"}],"usage":[1,2]})",
      R"({"data":[{"url":"https://a"}],"usage":{"total_tokens":"many"}})",
      "\xEF\xBB\xBF{\"data\":[{\"url\":\"https://a\"}]}",
  };
  for (const char* body : bodies) {
    auto r = ParseImagesReply(200, body, "xai");
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << body;
    EXPECT_THAT(r.status().message(), StartsWith("malformed upstream response"))
        << body;
  }
}

TEST(ParseImagesReplyTest, NoImagesIsNotRetried) {
  auto r = ParseImagesReply(200, R"({"created":1,"data":[]})", "xai");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(IsRetryable(r.status()));
}

TEST(ParseImagesReplyTest, ErrorWithHttp200IsAnError) {
  auto r = ParseImagesReply(
      200, R"({"error":{"message":"upstream busy","type":"server_error"}})",
      "openai_compat");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("upstream busy"));
}

struct ErrorCase {
  int status;
  const char* body;
  absl::StatusCode code;
  const char* text;
};

TEST(ParseImagesReplyTest, ErrorShapesCarryTheUpstreamMessage) {
  const ErrorCase cases[] = {
      {400,
       R"({"code":"Client specified an invalid argument",)"
       R"("error":"Argument not supported: size"})",
       absl::StatusCode::kInvalidArgument, "Argument not supported: size"},
      {401,
       R"({"error":{"message":"Incorrect API key provided",)"
       R"("type":"invalid_request_error","code":"invalid_api_key"}})",
       absl::StatusCode::kFailedPrecondition, "Incorrect API key provided"},
      {403, R"({"error":"forbidden for this team"})",
       absl::StatusCode::kFailedPrecondition, "forbidden for this team"},
      {402, R"({"message":"Insufficient balance"})",
       absl::StatusCode::kFailedPrecondition, "Insufficient balance"},
      {404, R"({"error":{"code":"model_not_found"}})",
       absl::StatusCode::kNotFound, "model_not_found"},
      {429, R"({"error":{"message":"Rate limit reached"}})",
       absl::StatusCode::kUnavailable, "Rate limit reached"},
      {500,
       R"({"error":{"message":"generation failed","type":"server_error"}})",
       absl::StatusCode::kUnavailable, "generation failed"},
      {502, "<html><body>Bad Gateway</body></html>",
       absl::StatusCode::kUnavailable, "<html><body>Bad Gateway"},
      {422, R"({"error":{"message":"prompt rejected by moderation"}})",
       absl::StatusCode::kInvalidArgument, "prompt rejected by moderation"},
  };
  for (const ErrorCase& c : cases) {
    auto r = ParseImagesReply(c.status, c.body, "xai");
    ASSERT_FALSE(r.ok()) << c.status;
    EXPECT_EQ(r.status().code(), c.code) << c.status << " " << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr(c.text)) << c.status;
    EXPECT_THAT(r.status().message(), HasSubstr("xai")) << c.status;
  }
}

TEST(ErrorMessageTest, EmptyWhenNoShapeMatches) {
  EXPECT_EQ(ErrorMessage(""), "");
  EXPECT_EQ(ErrorMessage("oops"), "");
  EXPECT_EQ(ErrorMessage(R"({"error":{"message":7}})"), "");
  EXPECT_EQ(ErrorMessage(R"({"error":""})"), "");
  EXPECT_EQ(ErrorMessage(R"({"error":{"message":"m","type":"t"}})"), "m");
}

TEST(DecodeB64ImageTest, DecodesPlainPaddedUnpaddedWrappedAndDataUrls) {
  const std::string jpeg("\xFF\xD8\xFF\xE0 tiny", 9);
  const std::string b64 = absl::Base64Escape(jpeg);
  for (const std::string& in : {b64, std::string(b64.substr(0, b64.find('='))),
                                b64.substr(0, 4) + "\r\n" + b64.substr(4),
                                "data:image/jpeg;base64," + b64}) {
    auto out = DecodeB64Image(in);
    ASSERT_TRUE(out.ok()) << in << ": " << out.status();
    EXPECT_EQ(*out, jpeg);
  }
}

TEST(DecodeB64ImageTest, RejectsGarbage) {
  for (const char* in : {"", "!!!!", "data:image/png,rawbytes",
                         "data:image/png;base64", "====", "ab$d"}) {
    auto out = DecodeB64Image(in);
    ASSERT_FALSE(out.ok()) << in;
    EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable) << in;
  }
}

TEST(SyncStateTest, RoundTripsUrlsInlineSlotsAndUsage) {
  SyncState s;
  s.created = 1773127037;
  s.results = {std::string("https://a/1.jpg"), std::nullopt,
               std::string("https://a/\"3\".jpg")};
  s.usage = Usage{2, std::nullopt, 32768, 32768};
  const std::string text = BuildSyncState(s);
  EXPECT_EQ(text, R"({"created":1773127037,"results":["https://a/1.jpg",null,)"
                  R"("https://a/\"3\".jpg"],"usage":{"generated_images":2,)"
                  R"("output_tokens":32768,"total_tokens":32768}})");
  auto back = ParseSyncState(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->created, s.created);
  EXPECT_EQ(back->results, s.results);
  ASSERT_TRUE(back->usage.has_value());
  EXPECT_EQ(back->usage->generated_images, 2);
  EXPECT_EQ(back->usage->total_tokens, 32768);
}

TEST(SyncStateTest, MinimalStateHasOnlyResults) {
  SyncState s;
  s.results = {std::nullopt};
  EXPECT_EQ(BuildSyncState(s), R"({"results":[null]})");
}

TEST(SyncStateTest, RejectsStatesThatAreNotOurs) {
  for (const char* text :
       {"", "{}", "[]", R"({"server":"http://x"})", R"({"results":"a"})",
        R"({"results":[1]})", R"({"results":[],"created":"x"})",
        R"({"results":[],"usage":3})", "{\"results\":[nul"}) {
    auto s = ParseSyncState(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace mediagw::openai_images
