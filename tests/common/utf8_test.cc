#include "common/utf8.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mediagw/config/config.pb.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw {
namespace {

using ::testing::Optional;

TEST(IsValidUtf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("a cat"));
  EXPECT_TRUE(IsValidUtf8("\xE7\x8C\xAB"));          // 猫
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x90\x88"));      // U+1F408
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));          // U+D7FF
  EXPECT_TRUE(IsValidUtf8("\xEE\x80\x80"));          // U+E000
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));      // U+10FFFF
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));  // NUL is a code point
}

TEST(IsValidUtf8Test, RejectsMalformedText) {
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("cat \xED\xB2\x80"));  // lone low surrogate DC80
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // high surrogate D800
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));  // overlong, 4 bytes
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE7\x8C"));          // cut short
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xF8\x88\x80\x80\x80"));
}

TEST(RepairUtf8Test, ReplacesMaximalSubparts) {
  EXPECT_EQ(RepairUtf8("ok"), "ok");
  EXPECT_EQ(RepairUtf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  // A truncated 3-byte sequence is one replacement, not two.
  EXPECT_EQ(RepairUtf8("\xE7\x8C" "x"), "\xEF\xBF\xBD" "x");
  // Each byte of a surrogate encoding is its own maximal subpart.
  EXPECT_EQ(RepairUtf8("\xED\xB2\x80"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(IsValidUtf8(RepairUtf8("\xC0\xAF\xF4\x90\xE7")));
}

TEST(TruncateUtf8Test, CutsOnACodePointBoundary) {
  const std::string cat = "ab\xE7\x8C\xAB";  // "ab猫"
  EXPECT_EQ(TruncateUtf8(cat, 10), cat);
  EXPECT_EQ(TruncateUtf8(cat, 5), cat);
  EXPECT_EQ(TruncateUtf8(cat, 4), "ab");
  EXPECT_EQ(TruncateUtf8(cat, 3), "ab");
  EXPECT_EQ(TruncateUtf8(cat, 2), "ab");
  EXPECT_EQ(TruncateUtf8(cat, 0), "");
}

TEST(SanitizeUpstreamTextTest, RepairsAndMarksTheCut) {
  EXPECT_EQ(SanitizeUpstreamText("node \xFF failed", 100),
            "node \xEF\xBF\xBD failed");
  const std::string long_text(50, 'x');
  std::string cut = SanitizeUpstreamText(long_text + "\xE7\x8C\xAB", 52);
  EXPECT_EQ(cut, std::string(49, 'x') + "...");
  // Every cut point of a multi-byte run stays valid.
  const std::string cats = "\xE7\x8C\xAB\xE7\x8C\xAB\xE7\x8C\xAB\xE7\x8C\xAB";
  for (size_t n = 0; n <= cats.size(); ++n) {
    std::string s = SanitizeUpstreamText(cats, n);
    EXPECT_TRUE(IsValidUtf8(s)) << n;
    EXPECT_LE(s.size(), n) << n;
  }
}

TEST(FindInvalidUtf8FieldTest, NamesTheFirstBadField) {
  v1::SubmitImageRequest req;
  req.set_prompt("a cat");
  req.set_workflow("default");
  EXPECT_EQ(FindInvalidUtf8Field(req), std::nullopt);
  req.set_negative_prompt("bad \xFF");
  EXPECT_THAT(FindInvalidUtf8Field(req), Optional(std::string("negative_prompt")));
}

TEST(FindInvalidUtf8FieldTest, WalksRepeatedAndNestedMessages) {
  config::Config cfg;
  cfg.add_channels()->set_name("ok");
  cfg.add_channels()->add_base_urls("http://x/\xED\xB2\x80");
  EXPECT_THAT(FindInvalidUtf8Field(cfg),
              Optional(std::string("channels[1].base_urls[0]")));
}

TEST(FindInvalidUtf8FieldTest, ChecksMapKeysAndValues) {
  config::Config cfg;
  auto* spec = cfg.add_channels()->mutable_http_async();
  (*spec->mutable_state_map())["ok"] = "done";
  EXPECT_EQ(FindInvalidUtf8Field(cfg), std::nullopt);
  (*spec->mutable_state_map())["\xFF"] = "done";
  EXPECT_THAT(FindInvalidUtf8Field(cfg),
              Optional(testing::StartsWith("channels[0].http_async.state_map[")));
}

TEST(Utf8Test, RejectsOverlongForms) {
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));
  EXPECT_FALSE(IsValidUtf8("\xC1\xBF"));
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));
  EXPECT_FALSE(IsValidUtf8("\xE0\x9F\xBF"));
  EXPECT_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));
  EXPECT_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));
}

TEST(Utf8Test, RejectsSurrogatesAndBeyondUnicode) {
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // U+D800
  EXPECT_FALSE(IsValidUtf8("\xED\xBF\xBF"));  // U+DFFF
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xFE"));
}

TEST(Utf8Test, RejectsBrokenSequences) {
  EXPECT_FALSE(IsValidUtf8("\x80"));             // lone continuation
  EXPECT_FALSE(IsValidUtf8("a\xC3"));            // truncated at end
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));
  EXPECT_FALSE(IsValidUtf8("\xF0\x9F\x98"));
  EXPECT_FALSE(IsValidUtf8("\xC3\x41"));         // continuation missing
  EXPECT_FALSE(IsValidUtf8("\xE2\x28\xA1"));
  EXPECT_FALSE(IsValidUtf8("\xF0\x9F\x98\x41"));
}

TEST(Utf8Test, AgreesWithADecoderOnEveryTwoByteInput) {
  // Reference: decode by the RFC 3629 rules and compare for all 2-byte
  // strings (covers every lead/continuation pair once).
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const std::string s = {static_cast<char>(a), static_cast<char>(b)};
      bool expect;
      if (a < 0x80) {
        expect = b < 0x80;
      } else if (a >= 0xC2 && a <= 0xDF) {
        expect = b >= 0x80 && b <= 0xBF;
      } else {
        expect = false;  // longer sequences are cut short or invalid
      }
      EXPECT_EQ(IsValidUtf8(s), expect) << a << " " << b;
    }
  }
}

}  // namespace
}  // namespace mediagw
