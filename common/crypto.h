// Hashing helpers over OpenSSL. Thread-safe.
#ifndef MEDIAGW_COMMON_CRYPTO_H_
#define MEDIAGW_COMMON_CRYPTO_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// Raw HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(absl::string_view key, absl::string_view data);

// Constant-time equality for secrets of equal length.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// `bytes` bytes from the operating system's cryptographic random source
// (OpenSSL RAND_bytes), as lower-case hex. INTERNAL if the source fails.
absl::StatusOr<std::string> RandomHex(size_t bytes);

}  // namespace mediagw

#endif  // MEDIAGW_COMMON_CRYPTO_H_
