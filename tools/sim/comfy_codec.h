// JSON the simulated ComfyUI server sends: /prompt, /queue, /history,
// /system_stats, /object_info and /upload/image answers, websocket
// messages, and the small request bodies of /queue and /interrupt.
// Field names follow ComfyUI's server.py and execution.py.
// Thread-safe (pure functions).
#ifndef MEDIAGW_TOOLS_SIM_COMFY_CODEC_H_
#define MEDIAGW_TOOLS_SIM_COMFY_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/sim/comfy_types.h"

namespace mediagw::sim {

// POST /prompt 200: {"prompt_id","number","node_errors":{}}.
std::string PromptAcceptedJson(absl::string_view prompt_id, int64_t number);
// GET /prompt: {"exec_info":{"queue_remaining":N}}.
std::string PromptInfoJson(int queue_remaining);
// GET /queue. Items are [number, prompt_id, prompt, extra_data, outputs].
std::string QueueJson(const std::vector<JobRecord>& running,
                      const std::vector<JobRecord>& pending);
// GET /history and /history/{id}: {"<id>": {prompt, outputs, status, meta}}
// for each finished job; "{}" for none.
std::string HistoryJson(const std::vector<JobRecord>& finished);
std::string SystemStatsJson();
// GET /object_info (all classes) or /object_info/{class} ("{}" if unknown).
std::string ObjectInfoJson(std::optional<absl::string_view> class_type);
// POST /upload/image 200: {"name","subfolder","type"}.
std::string UploadResultJson(absl::string_view name,
                             absl::string_view subfolder,
                             absl::string_view type);
// {"error": message} for routes that have no ComfyUI-specific error shape.
std::string PlainErrorJson(absl::string_view message);

// Websocket messages {"type": ..., "data": {...}}.
std::string StatusMessage(int queue_remaining,
                          std::optional<absl::string_view> sid);
std::string ExecutionStartMessage(absl::string_view prompt_id, int64_t ms);
std::string ExecutionCachedMessage(absl::string_view prompt_id, int64_t ms);
// `node` nullopt encodes "node": null (the prompt is done).
std::string ExecutingMessage(std::optional<absl::string_view> node,
                             absl::string_view prompt_id);
std::string ProgressMessage(int value, int max, absl::string_view prompt_id,
                            absl::string_view node);
std::string ExecutedMessage(const NodeOutput& output,
                            absl::string_view prompt_id);
std::string ExecutionSuccessMessage(absl::string_view prompt_id, int64_t ms);
// From a finished job's failure fields.
std::string ExecutionErrorMessage(const JobRecord& job);
std::string ExecutionInterruptedMessage(const JobRecord& job);

// POST /queue body: {"clear": bool} and/or {"delete": [ids]}.
struct QueueAction {
  bool clear = false;
  std::vector<std::string> delete_ids;
};
absl::StatusOr<QueueAction> ParseQueueAction(absl::string_view body);

// POST /interrupt body: empty, {} or {"prompt_id": id}.
absl::StatusOr<std::optional<std::string>> ParseInterrupt(
    absl::string_view body);

// POST /history body: {"clear": bool} and/or {"delete": [ids]}.
absl::StatusOr<QueueAction> ParseHistoryAction(absl::string_view body);

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_COMFY_CODEC_H_
