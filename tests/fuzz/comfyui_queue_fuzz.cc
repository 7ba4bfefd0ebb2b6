// Fuzzes the ComfyUI codec's GET /queue parser. Properties: malformed input
// is UNAVAILABLE; every listed id is found again by IsRunning/IsPending.
#include <cstddef>
#include <cstdint>
#include <string>

#include "providers/comfyui/comfyui_codec.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  auto queue = comfyui::ParseQueue(fuzz::AsView(data, size));
  if (!queue.ok()) {
    FUZZ_CHECK(queue.status().code() == absl::StatusCode::kUnavailable);
    return 0;
  }
  FUZZ_CHECK(queue->Depth() == queue->running.size() + queue->pending.size());
  for (const std::string& id : queue->running) FUZZ_CHECK(queue->IsRunning(id));
  for (const std::string& id : queue->pending) FUZZ_CHECK(queue->IsPending(id));
  // The bodies we send about a listed id are valid JSON objects.
  if (!queue->pending.empty()) {
    const std::string del = comfyui::BuildDeleteBody(queue->pending.front());
    FUZZ_CHECK(del.front() == '{' && del.back() == '}');
  }
  return 0;
}
