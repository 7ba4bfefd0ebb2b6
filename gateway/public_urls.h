// PublicUrls for the gateway's routes under a public base URL (e.g.
// "https://media.example.com"): /uploads/<name> and /v1/callbacks/<id>.
#ifndef MEDIAGW_GATEWAY_PUBLIC_URLS_H_
#define MEDIAGW_GATEWAY_PUBLIC_URLS_H_

#include <string>

#include "core/public_urls.h"

namespace mediagw::gateway {

class GatewayUrls final : public PublicUrls {
 public:
  // `base` has no trailing slash.
  explicit GatewayUrls(std::string base) : base_(std::move(base)) {}
  std::string Upload(absl::string_view blob_name) const override;
  std::string Callback(absl::string_view task_id) const override;

 private:
  const std::string base_;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_PUBLIC_URLS_H_
