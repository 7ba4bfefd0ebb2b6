// API key authentication. Keys are known only as SHA-256 hashes.
#ifndef MEDIAGW_CORE_AUTH_H_
#define MEDIAGW_CORE_AUTH_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace mediagw {

struct Caller {
  std::string key_name;  // the API key's name (access logs)
  // Per request, filled by the front end (common/access_log.h
  // RequestIdFrom): stored with a task it creates and put on the task's log
  // lines. Empty when the front end gave none. (The initializer lets
  // Caller{"name"} stay valid under -Wmissing-field-initializers.)
  std::string request_id{};
  // The account the key belongs to (docs/ACCOUNTS.md): it owns the tasks,
  // its keys all see them, and idempotency keys are scoped to it.
  // Authenticate always sets it; when empty (callers built by hand in
  // tests) the key name stands for it.
  std::string account{};
  // Set by the kie-compatible surface: the webhook_url of a task this
  // request creates is kie's callBackUrl, reported in kie's callback shape.
  bool kie_callback{};
  const std::string& owner() const {
    return account.empty() ? key_name : account;
  }
};

class Authenticator {
 public:
  struct Key {
    std::string name;
    std::string sha256_hex;  // lower-case
    std::string account{};   // empty: the key's name
  };
  explicit Authenticator(std::vector<Key> keys = {});

  // Adds a key, or replaces the one with the same hash. Thread-safe; the
  // next Authenticate sees it.
  void Put(Key key);
  // Forgets the key with this hash (revocation): every Authenticate that
  // starts after Remove returns refuses it. Thread-safe.
  void Remove(absl::string_view sha256_hex);

  // Thread-safe. UNAUTHENTICATED "Missing API key" for an empty key and
  // "Invalid API key" for an unknown one.
  absl::StatusOr<Caller> Authenticate(absl::string_view key) const;

  // Extracts the key from an `x-api-key` value or an `authorization` value
  // of the form "Bearer <key>" or "Token <key>" (scheme case-insensitive).
  // `x-api-key` wins when both are present. Empty when neither.
  static std::string ExtractKey(absl::string_view x_api_key,
                                absl::string_view authorization);

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Key> by_hash_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_AUTH_H_
