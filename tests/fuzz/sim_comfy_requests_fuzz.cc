// Fuzzes the provider simulator's small ComfyUI request bodies: POST /queue
// and POST /history actions and POST /interrupt. Properties: errors are
// INVALID_ARGUMENT; accepted deletes name non-empty ids.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_util.h"
#include "tools/sim/comfy_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view body = fuzz::AsView(data, size);
  for (const auto& action :
       {sim::ParseQueueAction(body), sim::ParseHistoryAction(body)}) {
    if (!action.ok()) {
      FUZZ_CHECK(action.status().code() == absl::StatusCode::kInvalidArgument);
    }
  }
  auto interrupt = sim::ParseInterrupt(body);
  if (!interrupt.ok()) {
    FUZZ_CHECK(interrupt.status().code() == absl::StatusCode::kInvalidArgument);
  }
  return 0;
}
