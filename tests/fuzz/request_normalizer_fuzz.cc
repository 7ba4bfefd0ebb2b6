// Fuzzes core/request_normalizer NormalizeImageRequest on a request decoded
// from the input: protobuf JSON when the input starts with '{', otherwise
// the binary wire format. Each request is normalized for a workflow with
// and without a model slot. Properties of an accepted request: every
// default is applied and every value is within the documented limits.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/provider.h"
#include "core/request_normalizer.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/json_util.h"
#include "mediagw/v1/media.pb.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

void CheckNormalized(const v1::SubmitImageRequest& in,
                     const WorkflowInfo& workflow) {
  auto out = NormalizeImageRequest(in, workflow);
  if (!out.ok()) {
    FUZZ_CHECK(out.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(!out.status().message().empty());
    return;
  }
  FUZZ_CHECK(!out->workflow().empty());
  FUZZ_CHECK(!out->negative_prompt().empty());
  FUZZ_CHECK(out->has_width() && out->width() >= kMinSize &&
             out->width() <= kMaxSize);
  FUZZ_CHECK(out->has_height() && out->height() >= kMinSize &&
             out->height() <= kMaxSize);
  FUZZ_CHECK(out->has_steps() && out->steps() >= 1 &&
             out->steps() <= kMaxSteps);
  FUZZ_CHECK(out->has_seed() && out->seed() >= 0);
  FUZZ_CHECK(out->has_cfg() && out->cfg() >= 0 && out->cfg() <= 30);
  FUZZ_CHECK(out->prompt().size() <= static_cast<size_t>(kMaxPromptChars));
  if (!workflow.accepts_model) FUZZ_CHECK(out->model().empty());
  FUZZ_CHECK(!out->workflow_json().empty() || !out->prompt().empty());
  // Normalizing twice changes nothing.
  auto twice = NormalizeImageRequest(*out, workflow);
  FUZZ_CHECK(twice.ok());
  FUZZ_CHECK(twice->SerializeAsString() == out->SerializeAsString());
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  // Invalid UTF-8 in string fields is logged on every parse; keep the
  // fuzzer fast and its output readable.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  const absl::string_view bytes = fuzz::AsView(data, size);
  v1::SubmitImageRequest request;
  if (!bytes.empty() && bytes[0] == '{') {
    if (!google::protobuf::util::JsonStringToMessage(std::string(bytes),
                                                     &request)
             .ok()) {
      return 0;
    }
  } else if (!request.ParseFromArray(data, static_cast<int>(size))) {
    return 0;
  }
  WorkflowInfo plain;
  plain.name = "default";
  fuzz::CheckNormalized(request, plain);
  WorkflowInfo with_model;
  with_model.name = "anime";
  with_model.default_cfg = 6;
  with_model.accepts_model = true;
  with_model.default_model = "anything-v5.safetensors";
  fuzz::CheckNormalized(request, with_model);
  return 0;
}
