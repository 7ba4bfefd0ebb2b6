// JSON bodies of the service's own operational routes (health probes and
// upstream callbacks): {"status":"<status>"} on success and
// {"error":"<message>"} on failure. Pure functions; thread-safe.
#ifndef MEDIAGW_GATEWAY_SERVICE_CODEC_H_
#define MEDIAGW_GATEWAY_SERVICE_CODEC_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mediagw::gateway {

std::string EncodeServiceStatus(absl::string_view status);
std::string EncodeServiceError(absl::string_view message);

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_SERVICE_CODEC_H_
