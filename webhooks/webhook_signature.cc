#include "webhooks/webhook_signature.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"

namespace mediagw::webhooks {

namespace {
constexpr absl::string_view kSecretPrefix = "whsec_";
}  // namespace

absl::StatusOr<std::string> StandardSignature(absl::string_view secret,
                                              absl::string_view id,
                                              int64_t timestamp,
                                              absl::string_view body) {
  std::string key;
  if (!absl::StartsWith(secret, kSecretPrefix) ||
      !absl::Base64Unescape(secret.substr(kSecretPrefix.size()), &key) ||
      key.empty()) {
    return absl::InvalidArgumentError(
        "a webhook secret must be whsec_ followed by base64");
  }
  const std::string mac =
      HmacSha256(key, absl::StrCat(id, ".", timestamp, ".", body));
  return absl::StrCat("v1,", absl::Base64Escape(mac));
}

absl::StatusOr<std::string> SignatureHeader(
    const std::vector<std::string>& secrets, absl::string_view id,
    int64_t timestamp, absl::string_view body) {
  std::string out;
  for (const std::string& s : secrets) {
    absl::StatusOr<std::string> sig = StandardSignature(s, id, timestamp, body);
    if (!sig.ok()) continue;
    absl::StrAppend(&out, out.empty() ? "" : " ", *sig);
  }
  if (out.empty()) {
    return absl::InvalidArgumentError("no usable webhook secret");
  }
  return out;
}

std::string KieSignature(absl::string_view secret, absl::string_view task_id,
                         int64_t timestamp) {
  return absl::Base64Escape(
      HmacSha256(secret, absl::StrCat(task_id, ".", timestamp)));
}

}  // namespace mediagw::webhooks
