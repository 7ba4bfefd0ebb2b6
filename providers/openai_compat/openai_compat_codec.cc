#include "providers/openai_compat/openai_compat_codec.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "providers/openai_compat/openai_images_codec.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mediagw::openai_compat {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr int kMaxImages = 10;
constexpr int kDefaultSide = 1024;
constexpr int64_t kSeed003MaxPromptChars = 1000;
constexpr absl::string_view kSeed003Quality = "high";

void PutString(Writer& w, const char* key, absl::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

// `key`: n entries in the seed example's shape, [null, value, ...] (just
// [value] when n is 1), see the header.
void PutPerImage(Writer& w, const char* key, absl::string_view value, int n) {
  w.Key(key);
  w.StartArray();
  for (int i = 0; i < n; ++i) {
    if (i == 0 && n >= 2) {
      w.Null();
    } else {
      w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    }
  }
  w.EndArray();
}

// Code points of UTF-8 text (continuation bytes are not counted).
int64_t CountChars(absl::string_view s) {
  return std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
}

struct Common {
  std::string model;
  int n = 1;
  int width = kDefaultSide;
  int height = kDefaultSide;
};

absl::StatusOr<Common> Validate(Dialect dialect,
                                const mediagw::v1::SubmitImageRequest& r) {
  if (!r.workflow_json().empty()) {
    return absl::InvalidArgumentError(
        "an OpenAI-compatible gateway cannot run a ComfyUI workflow_json; "
        "send a prompt");
  }
  if (absl::StripAsciiWhitespace(r.prompt()).empty()) {
    return absl::InvalidArgumentError("Missing prompt");
  }
  if (dialect == Dialect::kSeed003 &&
      CountChars(r.prompt()) > kSeed003MaxPromptChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("prompt must be at most ", kSeed003MaxPromptChars,
                     " characters for this gateway"));
  }
  Common c;
  c.model = r.model().empty() ? std::string(DefaultModel(dialect)) : r.model();
  c.n = r.has_n() ? r.n() : 1;
  if (c.n < 1 || c.n > kMaxImages) {
    return absl::InvalidArgumentError(
        absl::StrCat("n must be between 1 and ", kMaxImages));
  }
  if (r.has_width()) c.width = r.width();
  if (r.has_height()) c.height = r.height();
  return c;
}

std::string Seed004Body(const Common& c, const internal::TaskRecord& record,
                        absl::string_view response_format) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  PutString(w, "model", c.model);
  PutString(w, "prompt", record.request().prompt());
  w.Key("n");
  w.Int(c.n);
  PutString(w, "response_format", response_format);
  PutString(w, "aspect_ratio",
            openai_images::NearestAspectRatio(c.width, c.height));
  PutString(w, "resolution", openai_images::ResolutionFor(c.width, c.height));
  if (!record.owner().empty()) PutString(w, "user", record.owner());
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string Seed003Body(const Common& c, const internal::TaskRecord& record,
                        absl::string_view response_format) {
  const ImageSize size = NearestSeed003Size(c.width, c.height);
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  PutString(w, "model", c.model);
  PutString(w, "prompt", record.request().prompt());
  PutString(w, "size", SizeName(size));
  w.Key("n");
  w.Int(c.n);
  PutPerImage(w, "aspect_ratio",
              openai_images::NearestAspectRatio(size.width, size.height), c.n);
  PutPerImage(w, "quality", kSeed003Quality, c.n);
  PutPerImage(w, "resolution", openai_images::ResolutionFor(c.width, c.height),
              c.n);
  PutString(w, "response_format", response_format);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

absl::StatusOr<Dialect> ParseDialect(absl::string_view name) {
  if (name == "seed003") return Dialect::kSeed003;
  if (name == "seed004") return Dialect::kSeed004;
  return absl::InvalidArgumentError(absl::StrCat(
      "dialect must be \"seed003\" or \"seed004\", not '", name, "'"));
}

absl::string_view DefaultModel(Dialect dialect) {
  return dialect == Dialect::kSeed003 ? "grok-3-image" : "grok-imagine-image";
}

const std::vector<ImageSize>& Seed003Sizes() {
  static const auto* const kSizes = new std::vector<ImageSize>{
      {960, 960}, {720, 1280}, {1280, 720}, {1168, 784}, {784, 1168}};
  return *kSizes;
}

ImageSize NearestSeed003Size(int width, int height) {
  const double target =
      std::log(static_cast<double>(std::max(width, 1)) / std::max(height, 1));
  ImageSize best = Seed003Sizes().front();
  double best_distance = INFINITY;
  for (const ImageSize& s : Seed003Sizes()) {
    const double d =
        std::fabs(std::log(static_cast<double>(s.width) / s.height) - target);
    if (d < best_distance) {
      best_distance = d;
      best = s;
    }
  }
  return best;
}

std::string SizeName(ImageSize size) {
  return absl::StrCat(size.width, "x", size.height);
}

absl::StatusOr<std::string> BuildGenerationBody(
    Dialect dialect, const internal::TaskRecord& record,
    absl::string_view response_format) {
  auto common = Validate(dialect, record.request());
  if (!common.ok()) return common.status();
  return dialect == Dialect::kSeed003
             ? Seed003Body(*common, record, response_format)
             : Seed004Body(*common, record, response_format);
}

}  // namespace mediagw::openai_compat
