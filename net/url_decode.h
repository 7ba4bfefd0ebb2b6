// Percent-decoding for request targets (internal to net/).
#ifndef MEDIAGW_NET_URL_DECODE_H_
#define MEDIAGW_NET_URL_DECODE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mediagw::net {

// Decodes %XX escapes. A '%' not followed by two hex digits ("%zz", a
// trailing "%") is kept literally rather than rejected, so a malformed
// escape never fails a request. With `plus_as_space`, '+' becomes ' '
// (query strings, application/x-www-form-urlencoded).
std::string PercentDecode(absl::string_view in, bool plus_as_space);

}  // namespace mediagw::net

#endif  // MEDIAGW_NET_URL_DECODE_H_
