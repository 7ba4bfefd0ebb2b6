// Fuzzes the request parsers of the simulated rr3 and flux job APIs
// (tools/sim/jobapi_*_codec). Properties: a rejected rr3 request is
// INVALID_ARGUMENT with a message; an accepted one is within the documented
// ranges; a rejected flux request names a location and an error type; an
// accepted one is within BFL's ranges.
#include <cstddef>
#include <cstdint>
#include <variant>

#include "tests/fuzz/fuzz_util.h"
#include "tools/sim/jobapi_flux_codec.h"
#include "tools/sim/jobapi_rr3_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw::sim;  // NOLINT(build/namespaces)
  const absl::string_view body = mediagw::fuzz::AsView(data, size);

  auto rr3 = ParseRr3Generate(body);
  if (!rr3.ok()) {
    FUZZ_CHECK(rr3.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(!rr3.status().message().empty());
  } else {
    FUZZ_CHECK(!rr3->prompt.empty() &&
               rr3->prompt.size() <= kRr3MaxPromptChars);
    FUZZ_CHECK(rr3->width >= kRr3MinSide && rr3->width <= kRr3MaxSide);
    FUZZ_CHECK(rr3->height >= kRr3MinSide && rr3->height <= kRr3MaxSide);
    FUZZ_CHECK(rr3->steps >= 1 && rr3->steps <= kRr3MaxSteps);
    FUZZ_CHECK(rr3->batch_size >= 1 && rr3->batch_size <= kRr3MaxBatch);
    FUZZ_CHECK(rr3->seed >= -1);
    FUZZ_CHECK(rr3->cfg_scale >= 0 && rr3->cfg_scale <= 30);
    FUZZ_CHECK(!Rr3TaskJson({1, "PENDING", 0, {}, rr3->prompt}).empty());
  }

  auto flux = ParseFluxRequest(body);
  if (const auto* error = std::get_if<FluxFieldError>(&flux)) {
    FUZZ_CHECK(!error->loc.empty() && error->loc[0] == "body");
    FUZZ_CHECK(!error->msg.empty() && !error->type.empty());
    FUZZ_CHECK(!FluxValidationJson(*error).empty());
  } else {
    const FluxRequest& r = std::get<FluxRequest>(flux);
    FUZZ_CHECK(!r.prompt.empty());
    FUZZ_CHECK(r.width >= kFluxMinSide && r.width <= kFluxMaxSide &&
               r.width % kFluxSideMultiple == 0);
    FUZZ_CHECK(r.height >= kFluxMinSide && r.height <= kFluxMaxSide &&
               r.height % kFluxSideMultiple == 0);
    FUZZ_CHECK(r.steps >= 1 && r.steps <= kFluxMaxSteps);
    FUZZ_CHECK(!r.seed.has_value() || *r.seed >= 0);
    FUZZ_CHECK(r.guidance >= 0 && r.guidance <= 100);
  }
  return 0;
}
