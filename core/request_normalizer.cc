#include "core/request_normalizer.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

  if (!out.has_width()) out.set_width(workflow.default_width);
  if (out.width() < kMinSize || out.width() > kMaxSize) {
    return RangeError("width", kMinSize, kMaxSize);
  }
  if (!out.has_height()) out.set_height(workflow.default_height);
  if (out.height() < kMinSize || out.height() > kMaxSize) {
    return RangeError("height", kMinSize, kMaxSize);
  }
  if (!out.has_n()) out.set_n(1);
  if (out.n() < 1 || out.n() > kMaxImages)
    return RangeError("n", 1, kMaxImages);
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
    out.clear_model();  // the seed contract: model applies to some workflows
                        // only
  } else if (out.model().empty()) {
    out.set_model(workflow.default_model);
  } else if (out.model().size() > 256 ||
             out.model().find("..") != std::string::npos) {
    return absl::InvalidArgumentError("model is not a valid model path");
  } else if (!workflow.models.empty() &&
             std::find(workflow.models.begin(), workflow.models.end(),
                       out.model()) == workflow.models.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model must be one of: ", absl::StrJoin(workflow.models, ", ")));
  }
  if (out.idempotency_key().size() >
      static_cast<size_t>(kMaxIdempotencyKeyChars)) {
    return absl::InvalidArgumentError(
        absl::StrCat("idempotency_key must be at most ",
                     kMaxIdempotencyKeyChars, " characters"));
  }
  if (!out.webhook_url().empty()) {
    if (absl::Status st = CheckWebhookUrl(out.webhook_url(), "webhook_url");
        !st.ok()) {
      return st;
    }
  }
  if (out.webhook_events_size() > 0) {
    absl::StatusOr<std::vector<std::string>> events =
        NormalizeWebhookEvents(out.webhook_events());
    if (!events.ok()) return events.status();
    out.clear_webhook_events();
    for (std::string& e : *events) out.add_webhook_events(std::move(e));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> NormalizeWebhookEvents(
    const google::protobuf::RepeatedPtrField<std::string>& events) {
  // At most one entry per known event is kept, so the list is bounded by
  // the size of the filter, whatever the caller sent.
  if (events.size() > 64) {
    return absl::InvalidArgumentError(
        "webhook_events must have at most 64 entries");
  }
  bool seen[std::size(kWebhookEvents)] = {};
  for (const std::string& e : events) {
    size_t i = 0;
    while (i < std::size(kWebhookEvents) && e != kWebhookEvents[i]) ++i;
    if (i == std::size(kWebhookEvents)) {
      return absl::InvalidArgumentError(
          "webhook_events: each must be one of completed, failed, canceled, "
          "timed_out");
    }
    seen[i] = true;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < std::size(kWebhookEvents); ++i) {
    if (seen[i]) out.emplace_back(kWebhookEvents[i]);
  }
  return out;
}

absl::Status CheckWebhookUrl(absl::string_view url, absl::string_view field) {
  if (url.size() > kMaxWebhookUrlChars) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " must be at most ", kMaxWebhookUrlChars, " characters"));
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' ||
        static_cast<unsigned char>(c) >= 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " must be a URL of printable ASCII (percent-encode the rest)"));
    }
  }
  absl::string_view rest = url;
  const std::string lower = absl::AsciiStrToLower(url.substr(0, 8));
  if (absl::StartsWith(lower, "https://")) {
    rest.remove_prefix(8);
  } else if (absl::StartsWith(lower, "http://")) {
    rest.remove_prefix(7);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be an http or https URL"));
  }
  absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  // user:pass@ would be sent to whoever the host is; refuse it.
  if (authority.empty() || authority.front() == ':' ||
      authority.find('@') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must name a host (and no user info)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ImageInput> ClassifyImageInput(absl::string_view image) {
  absl::string_view s = absl::StripAsciiWhitespace(image);
  if (s.empty()) return absl::InvalidArgumentError("Missing image");
  ImageInput in;
  std::string lower = absl::AsciiStrToLower(s.substr(0, 8));
  if (absl::StartsWith(lower, "http://") ||
      absl::StartsWith(lower, "https://")) {
    if (s.size() > kMaxImageUrlChars) {
      return absl::InvalidArgumentError(absl::StrCat(
          "image URL must be at most ", kMaxImageUrlChars, " characters"));
    }
    for (char c : s) {
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
        return absl::InvalidArgumentError("image URL must not contain spaces");
      }
    }
    in.url = std::string(s);
    return in;
  }
  if (absl::StartsWith(lower, "data:")) {
    size_t comma = s.find(',');
    if (comma == absl::string_view::npos ||
        !absl::EndsWith(absl::AsciiStrToLower(s.substr(0, comma)), ";base64")) {
      return absl::InvalidArgumentError(
          "image data URL must be data:<type>;base64,<data>");
    }
    s.remove_prefix(comma + 1);
  } else if (s.find("://") != absl::string_view::npos) {
    return absl::InvalidArgumentError("image URL must be http or https");
  }
  std::string decoded;
  if (!absl::Base64Unescape(s, &decoded) || decoded.empty()) {
    return absl::InvalidArgumentError(
        "image must be an http(s) URL or base64 image data");
  }
  in.data = std::move(decoded);
  return in;
}

absl::StatusOr<v1::SubmitImageRequest> NormalizeVideoRequest(
    const v1::SubmitVideoRequest& request, const WorkflowInfo& workflow) {
  if (absl::StripAsciiWhitespace(request.prompt()).empty()) {
    return absl::InvalidArgumentError("Missing prompt");
  }
  if (absl::StripAsciiWhitespace(request.image()).empty()) {
    return absl::InvalidArgumentError("Missing image");
  }
  v1::SubmitImageRequest params;
  params.set_prompt(request.prompt());
  params.set_workflow(request.workflow());
  if (request.has_seed()) params.set_seed(request.seed());
  params.set_model(request.model());
  params.set_idempotency_key(request.idempotency_key());
  params.set_webhook_url(request.webhook_url());
  *params.mutable_webhook_events() = request.webhook_events();
  return NormalizeImageRequest(params, workflow);
}

}  // namespace mediagw
