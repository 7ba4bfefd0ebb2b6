#include "core/request_normalizer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace mediagw {

const char kBuiltinNegativePrompt[] =
    "lowres, bad anatomy, bad hands, text, error, missing fingers, extra "
    "digit, fewer digits, cropped, worst quality, low quality, normal "
    "quality, jpeg artifacts, signature, watermark, username, blurry";

namespace {

absl::Status RangeError(absl::string_view field, int64_t lo, int64_t hi) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, " must be between ", lo, " and ", hi));
}

}  // namespace

absl::StatusOr<v1::SubmitImageRequest> NormalizeImageRequest(
    const v1::SubmitImageRequest& request, const WorkflowInfo& workflow) {
  v1::SubmitImageRequest out = request;
  if (out.workflow().empty()) out.set_workflow(kDefaultWorkflow);

  if (!out.workflow_json().empty()) {
    // Validated with protobuf's JSON parser so that only codecs see RapidJSON.
    google::protobuf::Struct parsed;
    if (!google::protobuf::util::JsonStringToMessage(out.workflow_json(),
                                                     &parsed)
             .ok()) {
      return absl::InvalidArgumentError(
          "workflow_json must be a JSON object (a ComfyUI workflow in API "
          "format)");
    }
    if (parsed.fields().empty()) {
      return absl::InvalidArgumentError("workflow_json must not be empty");
    }
  } else if (absl::StripAsciiWhitespace(out.prompt()).empty()) {
    return absl::InvalidArgumentError("Missing prompt");
  }
  if (out.prompt().size() > static_cast<size_t>(kMaxPromptChars)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "prompt must be at most ", kMaxPromptChars, " characters"));
  }
  if (out.negative_prompt().size() > static_cast<size_t>(kMaxPromptChars)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "negative_prompt must be at most ", kMaxPromptChars, " characters"));
  }
  if (out.negative_prompt().empty()) {
    out.set_negative_prompt(kBuiltinNegativePrompt);
  }

  if (!out.has_width()) out.set_width(kDefaultSize);
  if (out.width() < kMinSize || out.width() > kMaxSize) {
    return RangeError("width", kMinSize, kMaxSize);
  }
  if (!out.has_height()) out.set_height(kDefaultSize);
  if (out.height() < kMinSize || out.height() > kMaxSize) {
    return RangeError("height", kMinSize, kMaxSize);
  }
  if (!out.has_n()) out.set_n(1);
  if (out.n() < 1 || out.n() > kMaxImages) return RangeError("n", 1, kMaxImages);
  if (!out.has_steps()) out.set_steps(kDefaultSteps);
  if (out.steps() < 1 || out.steps() > kMaxSteps) {
    return RangeError("steps", 1, kMaxSteps);
  }
  if (!out.has_seed() || out.seed() == -1) {
    out.set_seed(RandomSeed());
  } else if (out.seed() < -1) {
    return absl::InvalidArgumentError("seed must be -1 (random) or >= 0");
  }
  if (!out.has_cfg()) out.set_cfg(workflow.default_cfg);
  if (!(out.cfg() >= 0 && out.cfg() <= 30)) {  // also rejects NaN
    return absl::InvalidArgumentError("cfg must be between 0 and 30");
  }
  if (!workflow.accepts_model) {
    out.clear_model();  // the seed contract: model applies to some workflows only
  } else if (out.model().empty()) {
    out.set_model(workflow.default_model);
  } else if (out.model().size() > 256 ||
             out.model().find("..") != std::string::npos) {
    return absl::InvalidArgumentError("model is not a valid model path");
  }
  if (out.idempotency_key().size() >
      static_cast<size_t>(kMaxIdempotencyKeyChars)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "idempotency_key must be at most ", kMaxIdempotencyKeyChars,
        " characters"));
  }
  return out;
}

}  // namespace mediagw
