// JSON of the simulated kie.ai jobs API (see docs/PROVIDERS.md
// "kie.ai jobs" and seed 002): the createTask request it validates, and the
// {"code", "msg", "data"} envelopes it answers with, including the
// recordInfo record and the completion callback body.
// Thread-safe (pure functions); never aborts on malformed input.
#ifndef MEDIAGW_TOOLS_SIM_KIE_SIM_CODEC_H_
#define MEDIAGW_TOOLS_SIM_KIE_SIM_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw::sim {

// Models the simulator accepts. Image-to-* models need input.image_urls.
inline constexpr absl::string_view kKieModels[] = {
    "grok-imagine/text-to-image",
    "grok-imagine/text-to-video",
    "grok-imagine/image-to-video",
};
inline constexpr size_t kKieMaxPromptChars = 5000;

// A validated createTask body.
struct KieCreateRequest {
  std::string model;
  std::string callback_url;  // "" when absent
  std::string prompt;
  std::string aspect_ratio;  // "1:1" (the default), "2:3" or "3:2"
  std::vector<std::string> image_urls;
  bool video = false;  // the model makes a video
};

// INVALID_ARGUMENT (kie answers code 422 with the message) for a body that
// is not a JSON object, an unknown model, a missing, empty or over-long
// input.prompt, an aspect_ratio outside the list, an image-to-* model
// without http(s) image_urls, or a callBackUrl that is not http(s).
absl::StatusOr<KieCreateRequest> ParseKieCreateTask(absl::string_view body);

// True for an absolute http:// or https:// URL without spaces or controls.
bool IsHttpUrl(absl::string_view url);

// {"code": code, "msg": msg, "data": null}: how kie refuses a request.
std::string KieEnvelopeJson(int code, absl::string_view msg);
// createTask accepted: {"code":200,"msg":"success","data":{"taskId":id}}.
std::string KieCreatedJson(absl::string_view task_id);

// One task as recordInfo and callbacks describe it.
struct KieTaskView {
  std::string task_id;
  std::string model;
  std::string state;  // waiting | queuing | generating | success | fail
  std::string param;  // the createTask body, as received
  std::vector<std::string> result_urls;  // success
  std::string fail_code;                 // fail
  std::string fail_msg;                  // fail
  int64_t create_time_ms = 0;
  int64_t update_time_ms = 0;
  std::optional<int64_t> complete_time_ms;  // set once finished
  std::optional<int64_t> cost_time_ms;
};

// The data object: {"taskId","model","state","param","resultJson",
// "failCode","failMsg","costTime","completeTime","createTime","updateTime"}
// with resultJson the text {"resultUrls":[...]} ("" until success).
std::string KieTaskDataJson(const KieTaskView& view);
// GET recordInfo: {"code":200,"msg":"success","data":<data>}.
std::string KieRecordInfoJson(const KieTaskView& view);
// The callback POSTed when a task ends: code 200 for success, 501 with the
// failure message for a failed task.
std::string KieCallbackJson(const KieTaskView& view);

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_KIE_SIM_CODEC_H_
