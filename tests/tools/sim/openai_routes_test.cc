// The simulated image APIs over HTTP (in-process simulator on 127.0.0.1:0,
// requests through the real CurlMultiClient): auth, refused arguments,
// malformed bodies, URL and b64 results, files, job faults and unknown
// routes, per vendor prefix.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "core/http_client.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "tools/sim/sim_server.h"

namespace mediagw::sim {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kXaiBody[] =
    R"({"model":"grok-imagine-image","prompt":"a cat in a tree","n":1})";

Struct ParseJson(const std::string& text) {
  Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text, &s).ok())
      << text;
  return s;
}

// The "data" entries of a reply.
std::vector<Struct> Data(const std::string& reply) {
  std::vector<Struct> out;
  Struct s = ParseJson(reply);
  for (const Value& v : s.fields().at("data").list_value().values()) {
    out.push_back(v.struct_value());
  }
  return out;
}

// Width and height from a JPEG's SOF0 segment; {0, 0} if there is none.
std::pair<int, int> JpegSize(const std::string& b) {
  for (size_t i = 2; i + 9 < b.size();) {
    if (static_cast<uint8_t>(b[i]) != 0xFF) return {0, 0};
    const uint8_t marker = static_cast<uint8_t>(b[i + 1]);
    const int len =
        static_cast<uint8_t>(b[i + 2]) << 8 | static_cast<uint8_t>(b[i + 3]);
    if (marker == 0xC0 || marker == 0xC2) {
      return {
          static_cast<uint8_t>(b[i + 7]) << 8 | static_cast<uint8_t>(b[i + 8]),
          static_cast<uint8_t>(b[i + 5]) << 8 | static_cast<uint8_t>(b[i + 6])};
    }
    i += 2 + static_cast<size_t>(len);
  }
  return {0, 0};
}

class OpenAiRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<SimServer>(SimOptions{});
    ASSERT_TRUE(sim_->Start().ok());
    base_ = absl::StrCat("http://127.0.0.1:", sim_->port());
  }
  void TearDown() override {
    http_.Shutdown();
    sim_.reset();
  }

  HttpResponse Call(const std::string& method, const std::string& url,
                    const std::string& body = "",
                    std::optional<std::string> key = std::string("sim-key")) {
    HttpRequest r;
    r.method = method;
    r.url = url;
    r.body = body;
    r.timeout = absl::Seconds(10);
    if (!body.empty())
      r.headers.emplace_back("Content-Type", "application/json");
    if (key.has_value())
      r.headers.emplace_back("Authorization", "Bearer " + *key);
    auto slot = std::make_shared<
        std::pair<absl::Notification, absl::StatusOr<HttpResponse>>>();
    http_.Send(std::move(r), [slot](absl::StatusOr<HttpResponse> resp) {
      slot->second = std::move(resp);
      slot->first.Notify();
    });
    EXPECT_TRUE(slot->first.WaitForNotificationWithTimeout(absl::Seconds(15)));
    if (!slot->first.HasBeenNotified() || !slot->second.ok()) {
      ADD_FAILURE() << "transport failure";
      return HttpResponse{};
    }
    return *slot->second;
  }
  HttpResponse Generate(
      const std::string& prefix, const std::string& body,
      std::optional<std::string> key = std::string("sim-key")) {
    return Call("POST", absl::StrCat(base_, prefix, "/v1/images/generations"),
                body, std::move(key));
  }

  std::unique_ptr<SimServer> sim_;
  std::string base_;
  net::CurlMultiClient http_;
};

TEST_F(OpenAiRoutesTest, XaiRefusesSizeLikeTheRealApi) {
  HttpResponse r = Generate(
      "/xai",
      R"({"model":"grok-imagine-image","prompt":"a","size":"1024x1024"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"code":"Client specified an invalid argument",)"
                    R"("error":"Argument not supported: size"})");
  EXPECT_EQ(sim_->faults().Stats().jobs_submitted, 0);
}

TEST_F(OpenAiRoutesTest, SubmitsAreCountedPerVendorAndPrompt) {
  ASSERT_EQ(Generate("/xai", kXaiBody).status, 200);
  ASSERT_EQ(Generate("/xai", kXaiBody).status, 200);
  ASSERT_EQ(Generate("/oai3", R"({"model":"m","prompt":"a cat in a tree"})")
                .status,
            200);
  EXPECT_EQ(Generate("/oai4", R"({"model":"m","prompt":"x"})", "wrong").status,
            401);
  std::map<std::string, int64_t> expected = {{"xai:a cat in a tree", 2},
                                             {"oai3:a cat in a tree", 1}};
  EXPECT_EQ(sim_->faults().Submits(), expected);
  HttpResponse r = Call("GET", base_ + "/_sim/submits", "", std::nullopt);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ParseJson(r.body).fields().at("xai:a cat in a tree").number_value(),
            2);
}

TEST_F(OpenAiRoutesTest, EveryVendorRequiresTheBearerKey) {
  HttpResponse none = Generate("/xai", kXaiBody, std::nullopt);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(ParseJson(none.body).fields().at("code").string_value(),
            "Unauthenticated");
  EXPECT_EQ(Generate("/xai", kXaiBody, "wrong").status, 401);
  for (const char* prefix : {"/oai3", "/oai4"}) {
    HttpResponse r = Generate(prefix, R"({"model":"m","prompt":"a"})", "wrong");
    EXPECT_EQ(r.status, 401) << prefix;
    Struct e = ParseJson(r.body).fields().at("error").struct_value();
    EXPECT_EQ(e.fields().at("code").string_value(), "invalid_api_key");
    EXPECT_THAT(e.fields().at("message").string_value(),
                HasSubstr("Incorrect API key"));
  }
}

TEST_F(OpenAiRoutesTest, MalformedBodiesAndMissingPromptAre400) {
  for (const char* prefix : {"/xai", "/oai3", "/oai4"}) {
    EXPECT_EQ(Generate(prefix, "{\"model\":").status, 400) << prefix;
    EXPECT_EQ(Generate(prefix, "[1,2]").status, 400) << prefix;
    HttpResponse r = Generate(prefix, R"({"model":"grok-2-image"})");
    EXPECT_EQ(r.status, 400) << prefix;
    EXPECT_THAT(r.body, HasSubstr("prompt is required")) << prefix;
  }
}

TEST_F(OpenAiRoutesTest, UrlResultsAreServedFromTheSameVendor) {
  HttpResponse r =
      Generate("/xai", R"({"model":"grok-imagine-image","prompt":"a","n":2,)"
                       R"("aspect_ratio":"16:9"})");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<Struct> data = Data(r.body);
  ASSERT_EQ(data.size(), 2u);
  EXPECT_FALSE(ParseJson(r.body).fields().contains("created"));
  for (const Struct& item : data) {
    const std::string url = item.fields().at("url").string_value();
    EXPECT_THAT(url, StartsWith(absl::StrCat(base_, "/xai/files/")));
    EXPECT_EQ(item.fields().at("revised_prompt").string_value(), "a");
    HttpResponse file = Call("GET", url, "", std::nullopt);  // no key needed
    EXPECT_EQ(file.status, 200);
    EXPECT_EQ(file.Header("content-type"), "image/jpeg");
    EXPECT_EQ(JpegSize(file.body), std::make_pair(1024, 576));
  }
  EXPECT_EQ(sim_->faults().Stats().jobs_submitted, 1);
  // Files of one vendor are not visible under another.
  const std::string url = data[0].fields().at("url").string_value();
  const std::string name = url.substr(url.rfind('/') + 1);
  EXPECT_EQ(Call("GET", absl::StrCat(base_, "/oai4/files/", name)).status, 404);
}

TEST_F(OpenAiRoutesTest, Seed003ExampleGetsInlineImagesAndUsage) {
  const std::string body =
      R"({"model":"grok-3-image","prompt":"a cat","size":"960x960","n":2,)"
      R"("aspect_ratio":[null,"1:1"],"quality":[null,"low"],)"
      R"("resolution":[null,"1k"],"response_format":"b64_json "})";
  HttpResponse r = Generate("/oai3", body);
  ASSERT_EQ(r.status, 200) << r.body;
  Struct reply = ParseJson(r.body);
  EXPECT_GT(reply.fields().at("created").number_value(), 1.7e9);
  Struct usage = reply.fields().at("usage").struct_value();
  EXPECT_EQ(usage.fields().at("generated_images").number_value(), 2);
  EXPECT_EQ(usage.fields().at("total_tokens").number_value(), 32768);
  std::vector<Struct> data = Data(r.body);
  ASSERT_EQ(data.size(), 2u);
  for (const Struct& item : data) {
    std::string jpeg;
    ASSERT_TRUE(absl::Base64Unescape(
        item.fields().at("b64_json").string_value(), &jpeg));
    EXPECT_EQ(JpegSize(jpeg), std::make_pair(960, 960));
  }
}

TEST_F(OpenAiRoutesTest, Seed004SizesAndUser) {
  HttpResponse r = Generate(
      "/oai4", R"({"model":"grok-imagine-image","prompt":"a",)"
               R"("aspect_ratio":"9:16","resolution":"2k","user":"alice"})");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<Struct> data = Data(r.body);
  ASSERT_EQ(data.size(), 1u);
  HttpResponse file = Call("GET", data[0].fields().at("url").string_value());
  EXPECT_EQ(JpegSize(file.body), std::make_pair(1152, 2048));
  EXPECT_FALSE(ParseJson(r.body).fields().contains("usage"));
}

TEST_F(OpenAiRoutesTest, JobFaultsFailOrLoseTheGeneration) {
  FaultSpec error;
  error.mode = FaultMode::kErrorStatus;
  sim_->faults().Add(error);
  HttpResponse failed = Generate("/oai4", R"({"model":"m","prompt":"a"})");
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(ParseJson(failed.body)
                .fields()
                .at("error")
                .struct_value()
                .fields()
                .at("message")
                .string_value(),
            "generation failed");

  FaultSpec vanish;
  vanish.mode = FaultMode::kVanish;
  sim_->faults().Add(vanish);
  HttpResponse gone = Generate("/xai", kXaiBody);
  ASSERT_EQ(gone.status, 200);
  const std::string url = Data(gone.body)[0].fields().at("url").string_value();
  EXPECT_EQ(Call("GET", url).status, 404);
  // The next generation is whole again.
  HttpResponse ok = Generate("/xai", kXaiBody);
  EXPECT_EQ(
      Call("GET", Data(ok.body)[0].fields().at("url").string_value()).status,
      200);
}

TEST_F(OpenAiRoutesTest, InjectedHttpErrorsUseTheVendorShape) {
  FaultSpec f;
  f.mode = FaultMode::kHttpStatus;
  f.status = 429;
  f.path_prefix = "/xai/";
  sim_->faults().Add(f);
  HttpResponse r = Generate("/xai", kXaiBody);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(ParseJson(r.body).fields().at("code").string_value(),
            "Resource exhausted");
}

TEST_F(OpenAiRoutesTest, UnknownRoutesAndMethods) {
  HttpResponse get =
      Call("GET", absl::StrCat(base_, "/oai3/v1/images/generations"));
  EXPECT_EQ(get.status, 405);
  HttpResponse other = Call("POST", absl::StrCat(base_, "/oai4/v1/chat"), "{}");
  EXPECT_EQ(other.status, 404);
  EXPECT_THAT(other.body, HasSubstr("\"error\""));
  EXPECT_EQ(Call("GET", absl::StrCat(base_, "/xai/files/none.jpg")).status,
            404);
}

}  // namespace
}  // namespace mediagw::sim
