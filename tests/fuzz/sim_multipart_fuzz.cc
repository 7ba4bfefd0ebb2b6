// Fuzzes the provider simulator's multipart/form-data reader. The first
// line of the input is the Content-Type header value, the rest the body.
// Properties: errors are INVALID_ARGUMENT; the part limit holds; each part
// body lies within the request body.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_util.h"
#include "tools/sim/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view in = fuzz::AsView(data, size);
  const size_t eol = in.find('\n');
  const absl::string_view content_type = in.substr(0, eol);
  const absl::string_view body =
      eol == absl::string_view::npos ? absl::string_view() : in.substr(eol + 1);

  auto boundary = sim::MultipartBoundary(content_type);
  if (!boundary.ok()) {
    FUZZ_CHECK(boundary.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(!boundary->empty() && boundary->size() <= 70);
  for (size_t max_parts : {size_t{64}, size_t{1}}) {
    auto parts = sim::ParseMultipart(body, *boundary, max_parts);
    if (!parts.ok()) {
      FUZZ_CHECK(parts.status().code() == absl::StatusCode::kInvalidArgument);
      continue;
    }
    FUZZ_CHECK(parts->size() <= max_parts);
    for (const sim::FormPart& part : *parts) {
      FUZZ_CHECK(part.body.size() <= body.size());
      if (!part.body.empty()) {
        FUZZ_CHECK(body.find(part.body) != absl::string_view::npos);
      }
    }
  }
  return 0;
}
