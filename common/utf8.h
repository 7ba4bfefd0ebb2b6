// UTF-8 checks for text that crosses the process boundary. Every string
// from outside (request bodies, query strings, stored headers, config
// values, upstream replies) is checked or repaired here before it can reach
// a stored record: protobuf refuses to parse a `string` field that is not
// UTF-8, so one bad byte would make a stored task unreadable.
//
// Pure functions; thread-safe.
#ifndef MEDIAGW_COMMON_UTF8_H_
#define MEDIAGW_COMMON_UTF8_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace mediagw {

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates (U+D800..DFFF,
// which is what a lone "\udc80" JSON escape decodes to), nothing above
// U+10FFFF.
bool IsValidUtf8(absl::string_view text);

// `text` with every maximal invalid subsequence replaced by U+FFFD (the
// WHATWG / Unicode "substitution of maximal subparts" practice). Returns
// `text` unchanged when it is valid.
std::string RepairUtf8(absl::string_view text);

// The longest prefix of `text` of at most `max_bytes` bytes that does not
// end inside a multi-byte sequence. `text` should be valid UTF-8.
absl::string_view TruncateUtf8(absl::string_view text, size_t max_bytes);

// Upstream text we relay or store (error messages, node errors): repaired,
// then cut on a code-point boundary to at most `max_bytes`, with "..."
// marking a cut.
std::string SanitizeUpstreamText(absl::string_view text, size_t max_bytes);

// Path of the first `string` field (or map key) of `message`, depth first,
// that is not valid UTF-8, e.g. "prompt" or "channels[2].name"; nullopt
// when every string is valid.
std::optional<std::string> FindInvalidUtf8Field(
    const google::protobuf::Message& message);

// INVALID_ARGUMENT "field '<path>' is not valid UTF-8" for the first such
// field of `message` (FindInvalidUtf8Field), OK otherwise.
absl::Status ValidateUtf8Fields(const google::protobuf::Message& message);

}  // namespace mediagw

#endif  // MEDIAGW_COMMON_UTF8_H_
