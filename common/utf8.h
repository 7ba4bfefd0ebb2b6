// UTF-8 validation for text that comes from outside. Thread-safe, no state.
#ifndef MEDIAGW_COMMON_UTF8_H_
#define MEDIAGW_COMMON_UTF8_H_

#include "absl/strings/string_view.h"

namespace mediagw {

// True when `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no stray or missing
// continuation bytes. The empty string is valid; NUL bytes are valid.
bool IsValidUtf8(absl::string_view text);

}  // namespace mediagw

#endif  // MEDIAGW_COMMON_UTF8_H_
