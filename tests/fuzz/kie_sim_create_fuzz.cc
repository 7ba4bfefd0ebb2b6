// Fuzzes the kie simulator's createTask validation. Properties: an accepted
// request has a known model, a non-blank prompt within the limit, a listed
// aspect ratio, http(s) image URLs (at least one for image-to-* models) and
// an http(s) or empty callBackUrl; a refusal is INVALID_ARGUMENT.
#include <cstddef>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "tests/fuzz/fuzz_util.h"
#include "tools/sim/kie_sim_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  auto req = sim::ParseKieCreateTask(fuzz::AsView(data, size));
  if (!req.ok()) {
    FUZZ_CHECK(req.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  bool known = false;
  for (absl::string_view m : sim::kKieModels) known = known || m == req->model;
  FUZZ_CHECK(known);
  FUZZ_CHECK(!absl::StripAsciiWhitespace(req->prompt).empty());
  FUZZ_CHECK(req->prompt.size() <= sim::kKieMaxPromptChars);
  FUZZ_CHECK(req->aspect_ratio == "1:1" || req->aspect_ratio == "2:3" ||
             req->aspect_ratio == "3:2");
  for (const std::string& url : req->image_urls)
    FUZZ_CHECK(sim::IsHttpUrl(url));
  if (absl::StartsWith(req->model, "grok-imagine/image-to-")) {
    FUZZ_CHECK(!req->image_urls.empty());
  }
  FUZZ_CHECK(req->callback_url.empty() || sim::IsHttpUrl(req->callback_url));
  FUZZ_CHECK(req->video == absl::StrContains(req->model, "-to-video"));
  return 0;
}
