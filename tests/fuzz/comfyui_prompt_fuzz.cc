// Fuzzes the ComfyUI codec on what comes back from or goes to POST /prompt:
// ParsePromptResponse for 2xx, 400 (ComfyUI's error shape) and other
// statuses; ValidateRawWorkflow + BuildPromptBody for a caller-supplied
// workflow; ParseProviderState for a stored provider_state.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/json.h"
#include "providers/comfyui/comfyui_codec.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view body = fuzz::AsView(data, size);

  for (int status : {200, 201, 400, 401, 429, 500, 503}) {
    auto id = comfyui::ParsePromptResponse(status, body);
    if (id.ok()) {
      FUZZ_CHECK(status < 300 && !id->empty());
    } else {
      FUZZ_CHECK(!id.status().message().empty());
      // A malformed 2xx reply is retryable, never the caller's fault.
      if (status < 300) {
        FUZZ_CHECK(id.status().code() == absl::StatusCode::kUnavailable);
      }
    }
  }

  auto raw = comfyui::ValidateRawWorkflow(body);
  if (raw.ok()) {
    FUZZ_CHECK(*raw == body);
    const std::string prompt_body =
        comfyui::BuildPromptBody(*raw, "client\"1", "id\\1");
    auto doc = json::ParseObject(prompt_body);
    FUZZ_CHECK(doc.ok());
    auto prompt = json::GetObject(*doc, "prompt");
    FUZZ_CHECK(prompt.ok());
    auto client = json::GetString(*doc, "client_id");
    FUZZ_CHECK(client.ok() && *client == "client\"1");
  } else {
    FUZZ_CHECK(raw.status().code() == absl::StatusCode::kInvalidArgument);
  }

  auto server = comfyui::ParseProviderState(body);
  if (server.ok() && !body.empty()) {
    // Our own encoding of the parsed state parses back to the same server.
    auto again =
        comfyui::ParseProviderState(comfyui::BuildProviderState(*server));
    FUZZ_CHECK(again.ok() && *again == *server);
  }
  return 0;
}
