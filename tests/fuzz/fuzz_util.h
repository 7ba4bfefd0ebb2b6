// Small helpers shared by the fuzz targets. Plain C++ (no libFuzzer
// headers) so that the replay binaries build with any compiler.
#ifndef MEDIAGW_TESTS_FUZZ_FUZZ_UTIL_H_
#define MEDIAGW_TESTS_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/string_view.h"

namespace mediagw::fuzz {

inline absl::string_view AsView(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

// Aborts (a finding for libFuzzer, a failure for replay) when a property
// that must hold for every input does not.
#define FUZZ_CHECK(cond)                                              \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #cond);                                  \
      std::abort();                                                   \
    }                                                                 \
  } while (0)

}  // namespace mediagw::fuzz

#endif  // MEDIAGW_TESTS_FUZZ_FUZZ_UTIL_H_
