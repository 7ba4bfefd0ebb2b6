// JSON of the simulated Flux (BFL-style) job API (see jobapi_flux_routes.h):
// the generation request it validates, FastAPI-style errors ({"detail":
// "..."} and 422 {"detail": [{"loc", "msg", "type"}]}) and the get_result
// reply. Thread-safe (pure functions); never aborts on malformed input.
#ifndef MEDIAGW_TOOLS_SIM_JOBAPI_FLUX_CODEC_H_
#define MEDIAGW_TOOLS_SIM_JOBAPI_FLUX_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"

namespace mediagw::sim {

inline constexpr int kFluxMinSide = 256;
inline constexpr int kFluxMaxSide = 1440;
inline constexpr int kFluxSideMultiple = 32;
inline constexpr int kFluxMaxSteps = 50;

// A validated POST /v1/flux-dev body. Unknown members are ignored.
struct FluxRequest {
  std::string prompt;  // required, non-empty
  int width = 1024;    // kFluxMinSide..kFluxMaxSide, a multiple of 32
  int height = 768;
  std::optional<int64_t> seed;  // absent: the server picks
  int steps = 28;               // 1..kFluxMaxSteps
  double guidance = 3;          // 0..100
};

// One FastAPI validation error.
struct FluxFieldError {
  std::vector<std::string> loc;  // e.g. {"body", "width"}
  std::string msg;
  std::string type;  // e.g. "missing", "int_type", "json_invalid"
};

// The request, or why it fails validation (answered with 422).
std::variant<FluxRequest, FluxFieldError> ParseFluxRequest(
    absl::string_view body);

// {"detail":[{"loc":[...],"msg":"...","type":"..."}]}.
std::string FluxValidationJson(const FluxFieldError& error);
// {"detail":"..."}: 403, 404 and injected errors.
std::string FluxDetailJson(absl::string_view message);
// {"id":"...","polling_url":"..."}.
std::string FluxAcceptedJson(absl::string_view id,
                             absl::string_view polling_url);

struct FluxResultView {
  std::string id;
  // Pending | Processing | Ready | Error | Content Moderated
  std::string status;
  std::optional<double> progress;               // 0..1 while Processing
  std::string sample_url;                       // Ready
  std::string prompt;                           // Ready
  int64_t seed = 0;                             // Ready
  std::string error;                            // Error: details.error
  std::vector<std::string> moderation_reasons;  // Content Moderated
};

// {"id","status","result":null|{"sample","prompt","seed"},"progress":
// null|n,"details":null|{"error"}|{"Moderation Reasons":[...]}}.
std::string FluxResultJson(const FluxResultView& view);

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_JOBAPI_FLUX_CODEC_H_
