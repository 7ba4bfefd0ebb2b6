#include "tools/sim/control_codec.h"

#include <gtest/gtest.h>

#include "tests/tools/sim/test_json_codec.h"

namespace mediagw::sim {
namespace {

TEST(ControlCodecTest, ParsesFaultRequests) {
  auto f = ParseFaultRequest(
      R"({"mode":"slow_body","count":3,"path_prefix":"/view","slow_ms":500})");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->mode, FaultMode::kSlowBody);
  EXPECT_EQ(f->count, 3);
  EXPECT_EQ(f->path_prefix, "/view");
  EXPECT_EQ(f->slow_ms, 500);
  auto d = ParseFaultRequest(R"({"mode":"reject_prompt"})");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->count, 1);
  EXPECT_EQ(d->path_prefix, "/prompt");
}

TEST(ControlCodecTest, RejectsMalformedFaultRequests) {
  for (const char* body :
       {"", "[]", "{", R"({"count":1})", R"({"mode":"explode"})",
        R"({"mode":5})", R"({"mode":"http_500","count":0})",
        R"({"mode":"http_500","count":"2"})",
        R"({"mode":"http_500","path_prefix":7})",
        R"({"mode":"slow_body","slow_ms":-1})"}) {
    EXPECT_FALSE(ParseFaultRequest(body).ok()) << body;
  }
}

TEST(ControlCodecTest, StatsJson) {
  FaultRegistry registry;
  registry.CountRequest("/prompt");
  registry.CountRequest("/prompt");
  registry.CountJob("id-1");
  registry.Add({FaultMode::kHttp500, 2, "", 0});
  ASSERT_TRUE(registry.TakeRequestFault("GET", "/queue").has_value());
  std::string s = StatsJson(registry.Stats());
  EXPECT_EQ(testing::JsonInt(s, "/requests/~1prompt"), 2);
  EXPECT_EQ(testing::JsonInt(s, "/jobs_submitted"), 1);
  EXPECT_EQ(testing::JsonString(s, "/prompt_ids/0"), "id-1");
  EXPECT_EQ(testing::JsonInt(s, "/faults_fired/http_500"), 1);
  EXPECT_EQ(testing::JsonInt(s, "/faults_pending"), 1);
}

TEST(ControlCodecTest, SubmitsJson) {
  FaultRegistry registry;
  registry.CountSubmit("xai", "a cat");
  registry.CountSubmit("xai", "a cat");
  registry.CountSubmit("kie", "a cat");
  registry.CountSubmit("comfyui", "caf\xc3\xa9");
  std::string s = SubmitsJson(registry.Submits());
  EXPECT_EQ(testing::JsonInt(s, "/xai:a cat"), 2) << s;
  EXPECT_EQ(testing::JsonInt(s, "/kie:a cat"), 1) << s;
  EXPECT_EQ(testing::JsonInt(s, "/comfyui:caf\xc3\xa9"), 1) << s;
  EXPECT_EQ(SubmitsJson({}), "{}");
}

TEST(FaultRegistryTest, SubmitKeysAreCutOnACodePoint) {
  FaultRegistry registry;
  // 255 ASCII bytes then a 2-byte character: the cut drops the whole
  // character, so two prompts that differ only past the limit share a key.
  const std::string head(FaultRegistry::kMaxSubmitKeyBytes - 1, 'a');
  registry.CountSubmit("xai", head + "\xc3\xa9 tail one");
  registry.CountSubmit("xai", head + "\xc3\xa9 tail two");
  std::map<std::string, int64_t> submits = registry.Submits();
  ASSERT_EQ(submits.size(), 1u);
  EXPECT_EQ(submits.begin()->first, "xai:" + head);
  EXPECT_EQ(submits.begin()->second, 2);
}

TEST(FaultRegistryTest, SubmitKeysAreBounded) {
  FaultRegistry registry;
  for (size_t i = 0; i < FaultRegistry::kMaxSubmitKeys + 3; ++i) {
    registry.CountSubmit("rr3", std::to_string(i));
  }
  registry.CountSubmit("rr3", "0");  // known keys still count
  std::map<std::string, int64_t> submits = registry.Submits();
  EXPECT_EQ(submits.size(), FaultRegistry::kMaxSubmitKeys);
  EXPECT_EQ(submits["rr3:0"], 2);
  EXPECT_EQ(registry.Stats().submits_uncounted, 3);
  EXPECT_EQ(testing::JsonInt(StatsJson(registry.Stats()), "/submits_uncounted"),
            3);
}

TEST(FaultRegistryTest, MatchingAndConsumption) {
  FaultRegistry r;
  r.Add({FaultMode::kHttp500, 1, "/history", 0});
  r.Add({FaultMode::kMalformedJson, 1, "", 0});
  r.Add({FaultMode::kRejectPrompt, 1, "/prompt", 0});
  r.Add({FaultMode::kVanish, 1, "", 0});
  EXPECT_FALSE(r.TakeRequestFault("GET", "/queue").has_value());
  EXPECT_FALSE(r.TakeRequestFault("GET", "/prompt").has_value());
  auto reject = r.TakeRequestFault("POST", "/prompt");
  ASSERT_TRUE(reject.has_value());
  EXPECT_EQ(reject->mode, FaultMode::kRejectPrompt);
  EXPECT_EQ(r.TakeRequestFault("GET", "/history/x")->mode, FaultMode::kHttp500);
  EXPECT_FALSE(r.TakeRequestFault("GET", "/history/x").has_value());
  EXPECT_FALSE(r.TakeResponseFault("/view", false).has_value());
  EXPECT_EQ(r.TakeResponseFault("/queue", true)->mode,
            FaultMode::kMalformedJson);
  EXPECT_EQ(r.TakeJobFault(), FaultMode::kVanish);
  EXPECT_FALSE(r.TakeJobFault().has_value());
  r.Add({FaultMode::kErrorStatus, 2, "", 0});
  r.Clear();
  EXPECT_FALSE(r.TakeJobFault().has_value());
}

}  // namespace
}  // namespace mediagw::sim
