#include "common/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace mediagw {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9"));             // U+00E9
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));            // U+20AC
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));            // U+D7FF
  EXPECT_TRUE(IsValidUtf8("\xEE\x80\x80"));            // U+E000
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));        // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));        // U+10FFFF
  EXPECT_TRUE(IsValidUtf8("\xC2\x80\xDF\xBF"));        // U+0080, U+07FF
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
