// Fuzzes the simulator's parser of POST /v1/images/generations bodies in
// all three dialects (xAI, seed 003, seed 004). Properties: a refusal is
// INVALID_ARGUMENT; an accepted request has n in 1..10, one size per image
// within what the renderer draws, and a non-empty model and prompt.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_util.h"
#include "tools/sim/openai_sim_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw::sim;  // NOLINT(build/namespaces)
  const absl::string_view body = mediagw::fuzz::AsView(data, size);
  for (OpenAiDialect d : {OpenAiDialect::kXai, OpenAiDialect::kSeed003,
                          OpenAiDialect::kSeed004}) {
    auto r = ParseImagesRequest(d, body);
    if (!r.ok()) {
      FUZZ_CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
      continue;
    }
    FUZZ_CHECK(r->n >= 1 && r->n <= 10);
    FUZZ_CHECK(r->dims.size() == static_cast<size_t>(r->n));
    FUZZ_CHECK(!r->model.empty() && !r->prompt.empty());
    for (const ImageDims& dims : r->dims) {
      FUZZ_CHECK(dims.width >= 1 && dims.width <= 2048);
      FUZZ_CHECK(dims.height >= 1 && dims.height <= 2048);
    }
  }
  return 0;
}
