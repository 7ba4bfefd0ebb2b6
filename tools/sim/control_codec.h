// JSON of the simulator's control endpoints (/_sim/faults, /_sim/stats,
// /_sim/submits).
// Thread-safe (pure functions).
#ifndef MEDIAGW_TOOLS_SIM_CONTROL_CODEC_H_
#define MEDIAGW_TOOLS_SIM_CONTROL_CODEC_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/sim/faults.h"

namespace mediagw::sim {

// {"mode": "http_500", "count": 1, "path_prefix": "/prompt", "slow_ms": 2000,
//  "status": 429} -> FaultSpec. INVALID_ARGUMENT for bad JSON, an unknown
// mode, count < 1 or > 1000000, slow_ms outside [0, 60000], status outside
// [400, 599] or missing for "http_status".
absl::StatusOr<FaultSpec> ParseFaultRequest(absl::string_view body);

// {"requests": {"/prompt": 3, ...}, "jobs_submitted": N,
//  "prompt_ids": [...], "faults_fired": {"http_500": 1}, "faults_pending": N,
//  "submits_uncounted": N}
std::string StatsJson(const SimStats& stats);

// {"comfyui:a red fox": 1, "xai:a cat": 2, ...} (FaultRegistry::Submits).
std::string SubmitsJson(const std::map<std::string, int64_t>& submits);

// {"ok": true, "faults_pending": N}
std::string FaultAcceptedJson(int64_t faults_pending);

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_CONTROL_CODEC_H_
