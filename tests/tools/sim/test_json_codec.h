// Test helper: reads values out of JSON text by JSON pointer (RFC 6901), so
// tests can assert on response shapes without touching RapidJSON.
#ifndef MEDIAGW_TESTS_TOOLS_SIM_TEST_JSON_CODEC_H_
#define MEDIAGW_TESTS_TOOLS_SIM_TEST_JSON_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace mediagw::sim::testing {

bool IsValidJson(absl::string_view text);
// nullopt when the text is invalid, the pointer misses or the type differs.
std::optional<std::string> JsonString(absl::string_view text,
                                      absl::string_view pointer);
std::optional<int64_t> JsonInt(absl::string_view text,
                               absl::string_view pointer);
std::optional<bool> JsonBool(absl::string_view text, absl::string_view pointer);
bool JsonIsNull(absl::string_view text, absl::string_view pointer);
bool JsonHas(absl::string_view text, absl::string_view pointer);
// Element count of an array or member count of an object.
std::optional<size_t> JsonSize(absl::string_view text,
                               absl::string_view pointer);
// Member names of an object.
std::vector<std::string> JsonKeys(absl::string_view text,
                                  absl::string_view pointer);

// The default text-to-image API workflow (node ids as in ComfyUI's example:
// 3 KSampler, 4 checkpoint, 5 latent, 6/7 text, 8 decode, 9 SaveImage).
std::string DefaultWorkflow(int width, int height, int batch, int64_t seed,
                            int steps, absl::string_view text);
// A Wan 2.1 image-to-video API workflow: 52 LoadImage{image}, 50
// WanImageToVideo{width, height, length}, 3 KSampler{seed, steps 2}, 8
// VAEDecode, 57 CreateVideo{fps 16}, 58 SaveVideo{"video/wan"}.
std::string WanVideoWorkflow(absl::string_view image, int width, int height,
                             int length, int64_t seed, absl::string_view text);
// {"prompt": workflow, "client_id": ..., "prompt_id": ...} ("" omits).
std::string PromptBody(absl::string_view workflow,
                       absl::string_view client_id = "",
                       absl::string_view prompt_id = "");

}  // namespace mediagw::sim::testing

#endif  // MEDIAGW_TESTS_TOOLS_SIM_TEST_JSON_CODEC_H_
