// JSON of the simulated RR3 job API (see jobapi_rr3_routes.h): the generate
// request it validates and the {"code", "msg", "data"} envelopes it answers
// with. Thread-safe (pure functions); never aborts on malformed input.
#ifndef MEDIAGW_TOOLS_SIM_JOBAPI_RR3_CODEC_H_
#define MEDIAGW_TOOLS_SIM_JOBAPI_RR3_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw::sim {

inline constexpr int kRr3MinSide = 64;
inline constexpr int kRr3MaxSide = 2048;
inline constexpr int kRr3MaxSteps = 100;
inline constexpr int kRr3MaxBatch = 4;
inline constexpr size_t kRr3MaxPromptChars = 4000;

// A validated POST /api/v1/generate body. Unknown members are ignored.
struct Rr3GenerateRequest {
  std::string prompt;           // required, non-empty
  std::string negative_prompt;  // optional
  int width = 512;              // kRr3MinSide..kRr3MaxSide
  int height = 512;
  int steps = 20;        // 1..kRr3MaxSteps
  int64_t seed = -1;     // -1 or absent: the server picks
  double cfg_scale = 7;  // 0..30
  int batch_size = 1;    // 1..kRr3MaxBatch
};

// INVALID_ARGUMENT with the message RR3 sends back under code 400: the body
// is not a JSON object, prompt is missing, empty or too long, or a field
// has the wrong type or is out of range.
absl::StatusOr<Rr3GenerateRequest> ParseRr3Generate(absl::string_view body);

// {"code": code, "msg": msg, "data": null}: a refusal.
std::string Rr3ErrorJson(int code, absl::string_view msg);
// {"code":0,"msg":"ok","data":{"task_id":<number>}}.
std::string Rr3AcceptedJson(uint64_t task_id);

struct Rr3TaskView {
  uint64_t task_id = 0;
  std::string status;  // PENDING | RUNNING | SUCCESS | FAILED | CANCELLED
  int progress = 0;    // 0..100
  std::vector<std::string> images;   // SUCCESS: absolute URLs
  std::optional<std::string> error;  // FAILED / CANCELLED
};

// {"code":0,"msg":"ok","data":{"task_id","status","progress","images",
// "error"}} (error null unless set).
std::string Rr3TaskJson(const Rr3TaskView& view);

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_JOBAPI_RR3_CODEC_H_
