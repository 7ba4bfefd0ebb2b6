// Out-of-line members of the plain HTTP value types in core/http_client.h.
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "core/http_client.h"

namespace mediagw {

absl::string_view HttpResponse::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return absl::string_view();
}

}  // namespace mediagw
