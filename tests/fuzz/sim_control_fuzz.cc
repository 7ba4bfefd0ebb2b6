// Fuzzes the provider simulator's POST /_sim/faults body. Properties:
// errors are INVALID_ARGUMENT; accepted specs are within the documented
// limits and their mode has a name.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_util.h"
#include "tools/sim/control_codec.h"
#include "tools/sim/faults.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  auto spec = sim::ParseFaultRequest(fuzz::AsView(data, size));
  if (!spec.ok()) {
    FUZZ_CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(spec->count >= 1 && spec->count <= 1000000);
  FUZZ_CHECK(spec->slow_ms >= 0 && spec->slow_ms <= 60000);
  FUZZ_CHECK(!sim::FaultModeName(spec->mode).empty());
  return 0;
}
