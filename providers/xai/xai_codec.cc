#include "providers/xai/xai_codec.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "providers/openai_compat/openai_images_codec.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mediagw::xai {
namespace {

constexpr int kMaxImages = 10;
constexpr int kDefaultSide = 1024;

void PutString(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* key,
               absl::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace

const std::vector<std::string>& KnownModels() {
  static const auto* const kModels = new std::vector<std::string>{
      "grok-imagine-image", "grok-imagine-image-pro", "grok-2-image"};
  return *kModels;
}

absl::StatusOr<std::string> BuildGenerationBody(
    const mediagw::v1::SubmitImageRequest& request,
    absl::string_view response_format) {
  if (!request.workflow_json().empty()) {
    return absl::InvalidArgumentError(
        "xai cannot run a ComfyUI workflow_json; send a prompt");
  }
  if (absl::StripAsciiWhitespace(request.prompt()).empty()) {
    return absl::InvalidArgumentError("Missing prompt");
  }
  const std::string model =
      request.model().empty() ? std::string(kDefaultModel) : request.model();
  const auto& models = KnownModels();
  if (std::find(models.begin(), models.end(), model) == models.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "xai model must be one of: ", absl::StrJoin(models, ", ")));
  }
  const int n = request.has_n() ? request.n() : 1;
  if (n < 1 || n > kMaxImages) {
    return absl::InvalidArgumentError(
        absl::StrCat("n must be between 1 and ", kMaxImages));
  }
  const int width = request.has_width() ? request.width() : kDefaultSide;
  const int height = request.has_height() ? request.height() : kDefaultSide;

  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  PutString(w, "model", model);
  PutString(w, "prompt", request.prompt());
  w.Key("n");
  w.Int(n);
  PutString(w, "response_format", response_format);
  PutString(w, "aspect_ratio",
            openai_images::NearestAspectRatio(width, height));
  PutString(w, "resolution", openai_images::ResolutionFor(width, height));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace mediagw::xai
