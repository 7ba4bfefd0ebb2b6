// Fuzzes the provider simulator's POST /prompt validation, with and without
// an upload check for LoadImage. Properties: every rejection body is a JSON
// object with an "error"; an accepted prompt has an output node, positive
// sizes, and echoes a prompt object that parses.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "common/json.h"
#include "tests/fuzz/fuzz_util.h"
#include "tools/sim/comfy_prompt_codec.h"

namespace mediagw::fuzz {
namespace {

void Check(absl::string_view body, const sim::InputExists& input_exists) {
  auto result = sim::ParsePromptRequest(body, input_exists);
  if (const auto* rejection = std::get_if<sim::PromptRejection>(&result)) {
    auto doc = json::ParseObject(rejection->body);
    FUZZ_CHECK(doc.ok());
    FUZZ_CHECK(json::Find(*doc, "error") != nullptr);
    return;
  }
  const auto& prompt = std::get<sim::ParsedPrompt>(result);
  FUZZ_CHECK(!prompt.output_node_ids.empty());
  FUZZ_CHECK(json::ParseObject(prompt.prompt_json).ok());
  FUZZ_CHECK(json::ParseObject(prompt.extra_data_json).ok());
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view body = fuzz::AsView(data, size);
  fuzz::Check(body, nullptr);
  fuzz::Check(body, [](absl::string_view name) { return name == "input.png"; });
  return 0;
}
