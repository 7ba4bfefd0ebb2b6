#include "store/sqlite/page_token.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace store {
namespace {

TEST(PageTokenTest, RoundTrips) {
  PageCursor in{1700000000123456, "task:with:colons"};
  absl::StatusOr<PageCursor> out = DecodePageToken(EncodePageToken(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->created_at_us, in.created_at_us);
  EXPECT_EQ(out->id, in.id);
}

TEST(PageTokenTest, RejectsMalformedTokens) {
  for (const std::string& bad :
       {std::string("!!!not base64!!!"), absl::WebSafeBase64Escape("no-colon"),
        absl::WebSafeBase64Escape("abc:id"), absl::WebSafeBase64Escape(":id"),
        absl::WebSafeBase64Escape("123:")}) {
    EXPECT_EQ(DecodePageToken(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace store
}  // namespace mediagw
