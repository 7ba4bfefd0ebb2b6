// Identifiers and randomness. All functions are thread-safe.
#ifndef MEDIAGW_COMMON_IDS_H_
#define MEDIAGW_COMMON_IDS_H_

#include <cstdint>
#include <string>

namespace mediagw {

// Random RFC 4122 version 4 UUID, lower-case hex with dashes.
std::string NewUuid();

// True for a lower/upper-case 8-4-4-4-12 hex UUID.
bool LooksLikeUuid(const std::string& s);

// Uniform random seed in [0, 2^32), what ComfyUI samplers accept.
int64_t RandomSeed();

}  // namespace mediagw

#endif  // MEDIAGW_COMMON_IDS_H_
