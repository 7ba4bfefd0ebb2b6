// Opaque List() page tokens: the (created_at_us, id) key of the last row
// returned, so the next page starts strictly after it in newest-first order.
// Encoded as web-safe base64 of "<created_at_us>:<id>". Pure functions,
// thread-safe.
#ifndef MEDIAGW_STORE_SQLITE_PAGE_TOKEN_H_
#define MEDIAGW_STORE_SQLITE_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw {
namespace store {

struct PageCursor {
  int64_t created_at_us = 0;
  std::string id;
};

std::string EncodePageToken(const PageCursor& cursor);

// INVALID_ARGUMENT if `token` was not produced by EncodePageToken.
absl::StatusOr<PageCursor> DecodePageToken(absl::string_view token);

}  // namespace store
}  // namespace mediagw

#endif  // MEDIAGW_STORE_SQLITE_PAGE_TOKEN_H_
