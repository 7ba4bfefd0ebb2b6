#include "store/sqlite/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mediagw {
namespace store {

std::string EncodePageToken(const PageCursor& cursor) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(cursor.created_at_us, ":", cursor.id));
}

absl::StatusOr<PageCursor> DecodePageToken(absl::string_view token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) {
    return absl::InvalidArgumentError("malformed page token");
  }
  size_t colon = raw.find(':');
  PageCursor cursor;
  if (colon == std::string::npos || colon == 0 || colon + 1 == raw.size() ||
      !absl::SimpleAtoi(absl::string_view(raw).substr(0, colon),
                        &cursor.created_at_us)) {
    return absl::InvalidArgumentError("malformed page token");
  }
  cursor.id = raw.substr(colon + 1);
  return cursor;
}

}  // namespace store
}  // namespace mediagw
