#include "gateway/public_urls.h"

#include "absl/strings/str_cat.h"
#include "gateway/callback_handler.h"
#include "gateway/uploads_handler.h"

namespace mediagw::gateway {

std::string GatewayUrls::Upload(absl::string_view blob_name) const {
  return absl::StrCat(base_, UploadsHandler::kPathPrefix, blob_name);
}

std::string GatewayUrls::Callback(absl::string_view task_id) const {
  return absl::StrCat(base_, CallbackHandler::kPathPrefix, task_id);
}

}  // namespace mediagw::gateway
