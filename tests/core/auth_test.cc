#include "core/auth.h"

#include <cctype>

#include "common/crypto.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

TEST(ExtractKeyTest, XApiKeyWins) {
  EXPECT_EQ(Authenticator::ExtractKey("sk-a", "Bearer sk-b"), "sk-a");
  EXPECT_EQ(Authenticator::ExtractKey("  sk-a \t", ""), "sk-a");
}

TEST(ExtractKeyTest, BearerAndTokenSchemesCaseInsensitive) {
  EXPECT_EQ(Authenticator::ExtractKey("", "Bearer sk-1"), "sk-1");
  EXPECT_EQ(Authenticator::ExtractKey("", "bearer sk-1"), "sk-1");
  EXPECT_EQ(Authenticator::ExtractKey("", "BEARER   sk-1  "), "sk-1");
  EXPECT_EQ(Authenticator::ExtractKey("", "Token sk-2"), "sk-2");
  EXPECT_EQ(Authenticator::ExtractKey("", "tOkEn sk-2"), "sk-2");
  EXPECT_EQ(Authenticator::ExtractKey("   ", "Token sk-2"), "sk-2");
}

TEST(ExtractKeyTest, NothingUsable) {
  EXPECT_EQ(Authenticator::ExtractKey("", ""), "");
  EXPECT_EQ(Authenticator::ExtractKey("", "Bearer"), "");
  EXPECT_EQ(Authenticator::ExtractKey("", "Bearer "), "");
  EXPECT_EQ(Authenticator::ExtractKey("", "Basic dXNlcjpwYXNz"), "");
  EXPECT_EQ(Authenticator::ExtractKey("", "sk-raw"), "");
  EXPECT_EQ(Authenticator::ExtractKey("", "Bearersk-1"), "");
}

TEST(AuthenticateTest, KnownKeyGivesItsName) {
  Authenticator auth({{"alice", Sha256Hex("sk-alice")},
                      {"bob", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}});
  auto c = auth.Authenticate("sk-alice");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->key_name, "alice");
}

TEST(AuthenticateTest, MissingVersusInvalid) {
  Authenticator auth({{"alice", Sha256Hex("sk-alice")}});
  auto missing = auth.Authenticate("");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(missing.status().message(), "Missing API key");
  auto invalid = auth.Authenticate("sk-alicf");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(invalid.status().message(), "Invalid API key");
  // The hash itself is not a key.
  EXPECT_FALSE(auth.Authenticate(Sha256Hex("sk-alice")).ok());
}

TEST(AuthenticateTest, UpperCaseConfiguredHashIsNormalized) {
  std::string upper = Sha256Hex("sk-bob");
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  Authenticator auth({{"bob", upper}});
  auto c = auth.Authenticate("sk-bob");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->key_name, "bob");
}

}  // namespace
}  // namespace mediagw
