// API key authentication. Keys are known only as SHA-256 hashes.
#ifndef MEDIAGW_CORE_AUTH_H_
#define MEDIAGW_CORE_AUTH_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw {

struct Caller {
  std::string key_name;  // the API key's configured name; owns its tasks
  // Per request, filled by the front end (common/access_log.h
  // RequestIdFrom): stored with a task it creates and put on the task's log
  // lines. Empty when the front end gave none. (The initializer lets
  // Caller{"name"} stay valid under -Wmissing-field-initializers.)
  std::string request_id{};
};

class Authenticator {
 public:
  struct Key {
    std::string name;
    std::string sha256_hex;  // lower-case
  };
  explicit Authenticator(std::vector<Key> keys);

  // Thread-safe. UNAUTHENTICATED "Missing API key" for an empty key and
  // "Invalid API key" for an unknown one.
  absl::StatusOr<Caller> Authenticate(absl::string_view key) const;

  // Extracts the key from an `x-api-key` value or an `authorization` value
  // of the form "Bearer <key>" or "Token <key>" (scheme case-insensitive).
  // `x-api-key` wins when both are present. Empty when neither.
  static std::string ExtractKey(absl::string_view x_api_key,
                                absl::string_view authorization);

 private:
  absl::flat_hash_map<std::string, std::string> name_by_hash_;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_AUTH_H_
