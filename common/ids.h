// Identifiers and randomness. All functions are thread-safe.
//
// Every id comes from OpenSSL's CSPRNG (RAND_bytes): task ids are handed to
// callers and upstreams, so they must not be guessable from one another.
// If the CSPRNG fails (it never does once seeded) the process aborts rather
// than hand out a weak id.
#ifndef MEDIAGW_COMMON_IDS_H_
#define MEDIAGW_COMMON_IDS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace mediagw {

// Random RFC 4122 version 4 UUID, lower-case hex with dashes.
std::string NewUuid();

// 19 decimal digits, the first never 0 (the legacy numeric task id).
std::string NewNumericId();

// `prefix` followed by 32 random lower-case hex digits (128 bits).
std::string NewPrefixedHexId(absl::string_view prefix);

// True for a lower/upper-case 8-4-4-4-12 hex UUID.
bool LooksLikeUuid(const std::string& s);

// Uniform random seed in [0, 2^32), what ComfyUI samplers accept.
int64_t RandomSeed();

}  // namespace mediagw

#endif  // MEDIAGW_COMMON_IDS_H_
