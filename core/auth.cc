#include "core/auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/crypto.h"

namespace mediagw {

Authenticator::Authenticator(std::vector<Key> keys) {
  for (auto& k : keys) Put(std::move(k));
}

void Authenticator::Put(Key key) {
  key.sha256_hex = absl::AsciiStrToLower(key.sha256_hex);
  if (key.account.empty()) key.account = key.name;
  absl::MutexLock l(&mu_);
  std::string hash = key.sha256_hex;
  by_hash_[hash] = std::move(key);
}

void Authenticator::Remove(absl::string_view sha256_hex) {
  absl::MutexLock l(&mu_);
  by_hash_.erase(absl::AsciiStrToLower(sha256_hex));
}

absl::StatusOr<Caller> Authenticator::Authenticate(absl::string_view key) const {
  if (key.empty()) return absl::UnauthenticatedError("Missing API key");
  // The map is keyed by hash, so lookup time does not depend on how much of
  // a guessed key matches.
  const std::string hash = Sha256Hex(key);
  absl::MutexLock l(&mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) {
    return absl::UnauthenticatedError("Invalid API key");
  }
  Caller caller{it->second.name};
  caller.account = it->second.account;
  return caller;
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
