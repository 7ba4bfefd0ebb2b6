#include "tools/sim/openai_sim_codec.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mediagw::sim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr int kMaxImages = 10;
constexpr int64_t kSeed003MaxPromptChars = 1000;
constexpr int64_t kTokensPerImage = 16384;  // the seed 003 example's usage

struct Ratio {
  absl::string_view name;
  double width;
  double height;
};

constexpr Ratio kRatios[] = {
    {"1:1", 1, 1},   {"16:9", 16, 9},     {"9:16", 9, 16},     {"4:3", 4, 3},
    {"3:4", 3, 4},   {"3:2", 3, 2},       {"2:3", 2, 3},       {"2:1", 2, 1},
    {"1:2", 1, 2},   {"19.5:9", 19.5, 9}, {"9:19.5", 9, 19.5}, {"20:9", 20, 9},
    {"9:20", 9, 20}, {"auto", 1, 1},
};

constexpr ImageDims kSeed003Sizes[] = {
    {960, 960}, {720, 1280}, {1280, 720}, {1168, 784}, {784, 1168}};

constexpr absl::string_view kXaiModels[] = {
    "grok-imagine-image", "grok-imagine-image-pro", "grok-2-image"};

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

bool IsRatio(absl::string_view v) {
  return std::any_of(std::begin(kRatios), std::end(kRatios),
                     [v](const Ratio& r) { return r.name == v; });
}
bool IsResolution(absl::string_view v) { return v == "1k" || v == "2k"; }
bool IsQuality(absl::string_view v) {
  return v == "low" || v == "medium" || v == "high";
}

int64_t CountChars(absl::string_view s) {
  return std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
}

// A parameter given once for the whole batch or, in the seed 003 form, as
// an array with one entry (or null) per image. Returns n entries.
absl::StatusOr<std::vector<std::optional<std::string>>> PerImage(
    const rapidjson::Value& doc, absl::string_view name, int n,
    bool (*valid)(absl::string_view), bool arrays_allowed) {
  std::vector<std::optional<std::string>> out(static_cast<size_t>(n));
  const rapidjson::Value* v = json::Find(doc, name);
  if (v == nullptr || v->IsNull()) return out;
  auto check = [&](const rapidjson::Value& item) -> absl::Status {
    if (!item.IsString()) {
      return Invalid(absl::StrCat(name, " entries must be strings or null"));
    }
    absl::string_view s(item.GetString(), item.GetStringLength());
    if (!valid(s)) return Invalid(absl::StrCat("Invalid ", name, ": ", s));
    return absl::OkStatus();
  };
  if (v->IsString()) {
    MG_RETURN_IF_ERROR(check(*v));
    for (auto& e : out) e = std::string(v->GetString(), v->GetStringLength());
    return out;
  }
  if (!arrays_allowed || !v->IsArray()) {
    return Invalid(absl::StrCat(name, arrays_allowed
                                          ? " must be a string or an array"
                                          : " must be a string"));
  }
  if (v->Size() != static_cast<rapidjson::SizeType>(n)) {
    return Invalid(absl::StrCat(name, " must have one entry per image (n = ", n,
                                "), got ", v->Size()));
  }
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const rapidjson::Value& item = (*v)[i];
    if (item.IsNull()) continue;
    MG_RETURN_IF_ERROR(check(item));
    out[i] = std::string(item.GetString(), item.GetStringLength());
  }
  return out;
}

absl::StatusOr<std::string> OptString(const rapidjson::Value& doc,
                                      absl::string_view name) {
  auto v = json::GetOptString(doc, name);
  if (!v.ok()) return Invalid(v.status().message());
  return v->value_or("");
}

absl::Status ParseDims(OpenAiDialect dialect, const rapidjson::Value& doc,
                       ImagesRequest& req) {
  const bool seed003 = dialect == OpenAiDialect::kSeed003;
  MG_ASSIGN_OR_RETURN(auto ratios,
                      PerImage(doc, "aspect_ratio", req.n, IsRatio, seed003));
  MG_ASSIGN_OR_RETURN(auto resolutions, PerImage(doc, "resolution", req.n,
                                                 IsResolution, seed003));
  if (seed003) {
    MG_RETURN_IF_ERROR(
        PerImage(doc, "quality", req.n, IsQuality, true).status());
    MG_ASSIGN_OR_RETURN(std::string size, OptString(doc, "size"));
    if (!size.empty()) {
      for (const ImageDims& d : kSeed003Sizes) {
        if (absl::StrCat(d.width, "x", d.height) == size) {
          req.dims.assign(static_cast<size_t>(req.n), d);
          return absl::OkStatus();
        }
      }
      return Invalid(
          absl::StrCat("Invalid size: ", size,
                       " (960x960, 720x1280, 1280x720, 1168x784, 784x1168)"));
    }
  }
  for (int i = 0; i < req.n; ++i) {
    std::optional<ImageDims> d =
        DimsFor(ratios[i].value_or("1:1"), resolutions[i].value_or("1k"));
    if (!d.has_value()) return absl::InternalError("validated ratio lost");
    req.dims.push_back(*d);
  }
  return absl::OkStatus();
}

void PutString(Writer& w, absl::string_view key, absl::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string XaiErrorCode(int status) {
  switch (status) {
    case 400:
      return "Client specified an invalid argument";
    case 401:
      return "Unauthenticated";
    case 403:
      return "Permission denied";
    case 404:
      return "Not found";
    case 429:
      return "Resource exhausted";
    default:
      return "Client error";
  }
}

}  // namespace

absl::string_view OpenAiPrefix(OpenAiDialect dialect) {
  switch (dialect) {
    case OpenAiDialect::kXai:
      return "/xai";
    case OpenAiDialect::kSeed003:
      return "/oai3";
    case OpenAiDialect::kSeed004:
      return "/oai4";
  }
  return "/oai4";
}

std::optional<ImageDims> DimsFor(absl::string_view aspect_ratio,
                                 absl::string_view resolution) {
  if (!IsResolution(resolution)) return std::nullopt;
  const int long_side = resolution == "2k" ? 2048 : 1024;
  for (const Ratio& r : kRatios) {
    if (r.name != aspect_ratio) continue;
    if (r.width >= r.height) {
      return ImageDims{
          long_side,
          static_cast<int>(std::lround(long_side * r.height / r.width))};
    }
    return ImageDims{
        static_cast<int>(std::lround(long_side * r.width / r.height)),
        long_side};
  }
  return std::nullopt;
}

absl::StatusOr<ImagesRequest> ParseImagesRequest(OpenAiDialect dialect,
                                                 absl::string_view body) {
  auto doc = json::ParseObject(body);
  if (!doc.ok()) {
    return Invalid(absl::StrCat("Failed to deserialize the JSON body: ",
                                doc.status().message()));
  }
  if (dialect == OpenAiDialect::kXai) {
    for (absl::string_view refused : {"size", "style"}) {
      if (json::Find(*doc, refused) != nullptr) {
        return Invalid(absl::StrCat("Argument not supported: ", refused));
      }
    }
  }
  ImagesRequest req;
  MG_ASSIGN_OR_RETURN(req.model, OptString(*doc, "model"));
  if (req.model.empty()) return Invalid("model is required");
  if (dialect == OpenAiDialect::kXai &&
      std::find(std::begin(kXaiModels), std::end(kXaiModels), req.model) ==
          std::end(kXaiModels)) {
    return Invalid(absl::StrCat("The model ", req.model,
                                " does not exist or your team does not have "
                                "access to it."));
  }
  MG_ASSIGN_OR_RETURN(req.prompt, OptString(*doc, "prompt"));
  if (absl::StripAsciiWhitespace(req.prompt).empty()) {
    return Invalid("prompt is required");
  }
  if (dialect == OpenAiDialect::kSeed003 &&
      CountChars(req.prompt) > kSeed003MaxPromptChars) {
    return Invalid("prompt must be at most 1000 characters");
  }
  auto n = json::GetOptInt(*doc, "n");
  if (!n.ok()) return Invalid(n.status().message());
  if (n->has_value() && (**n < 1 || **n > kMaxImages)) {
    return Invalid(absl::StrCat("n must be between 1 and ", kMaxImages));
  }
  req.n = static_cast<int>(n->value_or(1));
  MG_ASSIGN_OR_RETURN(std::string format, OptString(*doc, "response_format"));
  if (dialect == OpenAiDialect::kSeed003) {
    format = std::string(absl::StripAsciiWhitespace(format));
  }
  if (format.empty()) format = "url";
  if (format != "url" && format != "b64_json") {
    return Invalid(absl::StrCat("Invalid response_format: ", format,
                                " (url or b64_json)"));
  }
  req.b64 = format == "b64_json";
  MG_ASSIGN_OR_RETURN(req.user, OptString(*doc, "user"));
  MG_RETURN_IF_ERROR(ParseDims(dialect, *doc, req));
  return req;
}

std::string ImagesReplyJson(OpenAiDialect dialect, int64_t created,
                            const std::vector<GeneratedImage>& images,
                            absl::string_view prompt) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  if (dialect != OpenAiDialect::kXai) {
    w.Key("created");
    w.Int64(created);
  }
  w.Key("data");
  w.StartArray();
  for (const GeneratedImage& image : images) {
    w.StartObject();
    if (!image.url.empty()) PutString(w, "url", image.url);
    if (!image.b64_json.empty()) PutString(w, "b64_json", image.b64_json);
    if (dialect == OpenAiDialect::kXai) PutString(w, "revised_prompt", prompt);
    w.EndObject();
  }
  w.EndArray();
  if (dialect == OpenAiDialect::kSeed003) {
    const int64_t count = static_cast<int64_t>(images.size());
    w.Key("usage");
    w.StartObject();
    w.Key("generated_images");
    w.Int64(count);
    w.Key("output_tokens");
    w.Int64(count * kTokensPerImage);
    w.Key("total_tokens");
    w.Int64(count * kTokensPerImage);
    w.EndObject();
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string OpenAiErrorJson(OpenAiDialect dialect, int status,
                            absl::string_view message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  if (dialect == OpenAiDialect::kXai && status < 500) {
    PutString(w, "code", XaiErrorCode(status));
    PutString(w, "error", message);
  } else {
    w.Key("error");
    w.StartObject();
    PutString(w, "message", message);
    PutString(w, "type",
              status >= 500 ? "server_error" : "invalid_request_error");
    w.Key("code");
    switch (status) {
      case 401:
        w.String("invalid_api_key");
        break;
      case 404:
        w.String("not_found");
        break;
      case 429:
        w.String("rate_limit_exceeded");
        break;
      default:
        w.Null();
    }
    w.EndObject();
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace mediagw::sim
