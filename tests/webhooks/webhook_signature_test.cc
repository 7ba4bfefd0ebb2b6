// Webhook signatures against the Standard Webhooks specification's own
// example, during a rotation, and kie's callback signature.
#include "webhooks/webhook_signature.h"

#include "absl/strings/escaping.h"
#include "common/crypto.h"
#include "gtest/gtest.h"

namespace mediagw::webhooks {
namespace {

// The example of the Standard Webhooks reference libraries' tests.
constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kId[] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTimestamp = 1614265330;
constexpr char kBody[] = R"({"test": 2432232314})";
constexpr char kSignature[] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

TEST(WebhookSignatureTest, MatchesTheSpecificationExample) {
  auto sig = StandardSignature(kSecret, kId, kTimestamp, kBody);
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(*sig, kSignature);
}

TEST(WebhookSignatureTest, AnyChangeChangesTheSignature) {
  EXPECT_NE(*StandardSignature(kSecret, kId, kTimestamp + 1, kBody),
            kSignature);
  EXPECT_NE(*StandardSignature(kSecret, "msg_other", kTimestamp, kBody),
            kSignature);
  EXPECT_NE(*StandardSignature(kSecret, kId, kTimestamp, R"({"test": 1})"),
            kSignature);
}

TEST(WebhookSignatureTest, RefusesSecretsThatAreNotWhsecBase64) {
  for (const char* bad : {"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_",
                          "whsec_!!!not base64!!!", "sk_MfKQ9r8GKYqr"}) {
    EXPECT_EQ(StandardSignature(bad, kId, kTimestamp, kBody).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(WebhookSignatureTest, RotationSendsOneSignaturePerSecretNewestFirst) {
  const std::string newer = "whsec_" + absl::Base64Escape("another key");
  auto header = SignatureHeader({newer, kSecret}, kId, kTimestamp, kBody);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(*header, *StandardSignature(newer, kId, kTimestamp, kBody) + " " +
                         kSignature);
  // A secret that does not decode is skipped; none at all is an error.
  EXPECT_EQ(*SignatureHeader({"whsec_", kSecret}, kId, kTimestamp, kBody),
            kSignature);
  EXPECT_FALSE(SignatureHeader({}, kId, kTimestamp, kBody).ok());
}

TEST(WebhookSignatureTest, KieSignsTaskIdAndTimestamp) {
  const std::string expected = absl::Base64Escape(
      HmacSha256(kSecret, "task-1.1614265330"));
  EXPECT_EQ(KieSignature(kSecret, "task-1", kTimestamp), expected);
}

}  // namespace
}  // namespace mediagw::webhooks
