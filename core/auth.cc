#include "core/auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/crypto.h"

namespace mediagw {

Authenticator::Authenticator(std::vector<Key> keys) {
  for (auto& k : keys) {
    name_by_hash_[absl::AsciiStrToLower(k.sha256_hex)] = k.name;
  }
}

absl::StatusOr<Caller> Authenticator::Authenticate(absl::string_view key) const {
  if (key.empty()) return absl::UnauthenticatedError("Missing API key");
  // The map is keyed by hash, so lookup time does not depend on how much of
  // a guessed key matches.
  auto it = name_by_hash_.find(Sha256Hex(key));
  if (it == name_by_hash_.end()) {
    return absl::UnauthenticatedError("Invalid API key");
  }
  return Caller{it->second};
}

std::string Authenticator::ExtractKey(absl::string_view x_api_key,
                                      absl::string_view authorization) {
  x_api_key = absl::StripAsciiWhitespace(x_api_key);
  if (!x_api_key.empty()) return std::string(x_api_key);
  authorization = absl::StripAsciiWhitespace(authorization);
  for (absl::string_view scheme : {"bearer ", "token "}) {
    if (authorization.size() > scheme.size() &&
        absl::StartsWithIgnoreCase(authorization, scheme)) {
      return std::string(
          absl::StripAsciiWhitespace(authorization.substr(scheme.size())));
    }
  }
  return "";
}

}  // namespace mediagw
