// Fuzzes the kie codec's callback body reader: any body either names a
// non-empty task id or is INVALID_ARGUMENT; never a crash.
#include <cstddef>
#include <cstdint>

#include "providers/kie/kie_codec.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  auto id = kie::ParseCallbackTaskId(fuzz::AsView(data, size));
  if (id.ok()) {
    FUZZ_CHECK(!id->empty());
  } else {
    FUZZ_CHECK(id.status().code() == absl::StatusCode::kInvalidArgument);
  }
  return 0;
}
