#include "common/ids.h"

#include <set>
#include <string>

#include "common/crypto.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

TEST(IdsTest, NewUuidIsVersion4AndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuid();
    ASSERT_TRUE(LooksLikeUuid(id)) << id;
    EXPECT_EQ(id[14], '4') << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    for (char c : id) EXPECT_FALSE(c >= 'A' && c <= 'F') << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

bool AllOf(const std::string& s, const char* chars) {
  return !s.empty() && s.find_first_not_of(chars) == std::string::npos;
}

TEST(IdsTest, HundredThousandIdsOfEachStyleAreDistinctAndWellFormed) {
  constexpr int kCount = 100000;
  std::set<std::string> uuids, numeric, prefixed;
  for (int i = 0; i < kCount; ++i) {
    std::string u = NewUuid();
    ASSERT_TRUE(LooksLikeUuid(u)) << u;
    ASSERT_EQ(u[14], '4') << u;
    uuids.insert(std::move(u));

    std::string n = NewNumericId();
    ASSERT_EQ(n.size(), 19u) << n;
    ASSERT_TRUE(AllOf(n, "0123456789")) << n;
    ASSERT_NE(n[0], '0') << n;
    numeric.insert(std::move(n));

    std::string p = NewPrefixedHexId("grok_");
    ASSERT_EQ(p.size(), 5u + 32u) << p;
    ASSERT_EQ(p.substr(0, 5), "grok_");
    ASSERT_TRUE(AllOf(p.substr(5), "0123456789abcdef")) << p;
    prefixed.insert(std::move(p));
  }
  EXPECT_EQ(uuids.size(), size_t{kCount});
  EXPECT_EQ(numeric.size(), size_t{kCount});
  EXPECT_EQ(prefixed.size(), size_t{kCount});
}

TEST(IdsTest, NumericIdsSpreadOverTheWholeRange) {
  // 19 digits from 64 random bits: leading digits 1..9 all appear (the old
  // ids only reached 1 and 2).
  std::set<char> leading;
  for (int i = 0; i < 2000; ++i) leading.insert(NewNumericId()[0]);
  EXPECT_EQ(leading.size(), 9u);
  EXPECT_EQ(NewPrefixedHexId("").size(), 32u);
}

TEST(IdsTest, RandomSeedIsBelow2To32) {
  for (int i = 0; i < 1000; ++i) {
    int64_t s = RandomSeed();
    ASSERT_GE(s, 0);
    ASSERT_LT(s, int64_t{1} << 32);
  }
}

TEST(IdsTest, LooksLikeUuid) {
  EXPECT_TRUE(LooksLikeUuid("a1b2c3d4-5e6f-7a8b-9c0d-1e2f3a4b5c6d"));
  EXPECT_TRUE(LooksLikeUuid("A1B2C3D4-5E6F-7A8B-9C0D-1E2F3A4B5C6D"));
  EXPECT_FALSE(LooksLikeUuid(""));
  EXPECT_FALSE(LooksLikeUuid("a1b2c3d4-5e6f-7a8b-9c0d-1e2f3a4b5c6"));
  EXPECT_FALSE(LooksLikeUuid("a1b2c3d4x5e6f-7a8b-9c0d-1e2f3a4b5c6d"));
  EXPECT_FALSE(LooksLikeUuid("g1b2c3d4-5e6f-7a8b-9c0d-1e2f3a4b5c6d"));
  EXPECT_FALSE(LooksLikeUuid("../../etc/passwd-aaaaaaaaaaaaaaaaaaaa"));
}

TEST(IdsTest, RandomSeedInUint32Range) {
  bool high = false;
  for (int i = 0; i < 2000; ++i) {
    int64_t s = RandomSeed();
    ASSERT_GE(s, 0);
    ASSERT_LT(s, int64_t{1} << 32);
    high = high || s > (int64_t{1} << 31);
  }
  EXPECT_TRUE(high);  // the whole range is used, not just int32
}

TEST(CryptoTest, Sha256Hex) {
  EXPECT_EQ(Sha256Hex("test"),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoTest, HmacSha256Rfc4231Case2) {
  std::string mac = HmacSha256("Jefe", "what do ya want for nothing?");
  ASSERT_EQ(mac.size(), 32u);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : mac) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  EXPECT_EQ(hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace mediagw
