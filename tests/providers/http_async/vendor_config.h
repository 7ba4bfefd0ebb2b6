// Test helper: the example vendor channels shipped in config/vendors/,
// parsed the way an operator's configuration is (protobuf JSON), so tests
// prove that a vendor is configuration only. Needs MEDIAGW_SOURCE_DIR.
#ifndef MEDIAGW_TESTS_PROVIDERS_HTTP_ASYNC_VENDOR_CONFIG_H_
#define MEDIAGW_TESTS_PROVIDERS_HTTP_ASYNC_VENDOR_CONFIG_H_

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "mediagw/config/config.pb.h"

namespace mediagw::http_async::testing {

// The first channel of config/vendors/<file> ("rr3.json"), with its
// base_urls replaced by `base_url` when that is non-empty.
inline absl::StatusOr<config::Channel> LoadVendorChannel(
    const std::string& file, const std::string& base_url = "") {
  const std::string path =
      absl::StrCat(MEDIAGW_SOURCE_DIR, "/config/vendors/", file);
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  config::Config parsed;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto st =
      google::protobuf::util::JsonStringToMessage(text.str(), &parsed, options);
  if (!st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", std::string(st.message())));
  }
  if (parsed.channels_size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected exactly one channel"));
  }
  config::Channel channel = parsed.channels(0);
  if (!base_url.empty()) {
    channel.clear_base_urls();
    channel.add_base_urls(base_url);
  }
  return channel;
}

}  // namespace mediagw::http_async::testing

#endif  // MEDIAGW_TESTS_PROVIDERS_HTTP_ASYNC_VENDOR_CONFIG_H_
