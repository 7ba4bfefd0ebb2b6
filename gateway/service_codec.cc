#include "gateway/service_codec.h"

#include "absl/strings/str_cat.h"
#include "common/json.h"

namespace mediagw::gateway {

std::string EncodeServiceStatus(absl::string_view status) {
  return absl::StrCat("{\"status\":", json::Quote(status), "}");
}

std::string EncodeServiceError(absl::string_view message) {
  return absl::StrCat("{\"error\":", json::Quote(message), "}");
}

}  // namespace mediagw::gateway
