// Minimal multipart/form-data reader (RFC 7578) for POST /upload/image.
// Handles the parts browsers and fetch() send: a Content-Disposition with
// name (and filename for files), an optional Content-Type, CRLF framing.
// Thread-safe (pure functions).
#ifndef MEDIAGW_TOOLS_SIM_MULTIPART_H_
#define MEDIAGW_TOOLS_SIM_MULTIPART_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw::sim {

struct FormPart {
  std::string name;
  std::optional<std::string> filename;  // set for file parts
  std::string content_type;             // "" when absent
  std::string body;
};

// The boundary parameter of a multipart/form-data Content-Type header.
// INVALID_ARGUMENT when the type is not multipart/form-data or the boundary
// is missing or longer than 70 characters.
absl::StatusOr<std::string> MultipartBoundary(absl::string_view content_type);

// Splits `body`. INVALID_ARGUMENT for a missing opening or closing
// delimiter, a part without headers or Content-Disposition, or more than
// `max_parts` parts.
absl::StatusOr<std::vector<FormPart>> ParseMultipart(absl::string_view body,
                                                     absl::string_view boundary,
                                                     size_t max_parts = 64);

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_MULTIPART_H_
