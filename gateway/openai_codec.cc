#include "gateway/openai_codec.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json.h"
#include "common/status_mapping.h"
#include "core/request_normalizer.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mediagw::gateway {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

absl::Status Bad(std::string* param, absl::string_view field,
                 absl::string_view message) {
  *param = std::string(field);
  return absl::InvalidArgumentError(message);
}

// A string member, or seed 003's array of n entries of null or a string
// ([null, "1:1"]): the last string given. nullopt when absent or all null.
absl::StatusOr<std::optional<std::string>> StringOrArray(
    const rapidjson::Value& doc, absl::string_view field, std::string* param) {
  const rapidjson::Value* v = json::Find(doc, field);
  if (v == nullptr || v->IsNull()) return std::optional<std::string>();
  if (v->IsString()) {
    return std::optional<std::string>(
        std::string(v->GetString(), v->GetStringLength()));
  }
  const std::string want = absl::StrCat(
      field, " must be a string or an array of strings and nulls");
  if (!v->IsArray()) return Bad(param, field, want);
  // One entry per image at most, and a little slack.
  if (v->Size() > static_cast<rapidjson::SizeType>(kMaxImages) + 1) {
    return Bad(param, field,
               absl::StrCat(field, " must have at most ", kMaxImages + 1,
                            " entries"));
  }
  std::optional<std::string> last;
  for (const auto& e : v->GetArray()) {
    if (e.IsNull()) continue;
    if (!e.IsString()) return Bad(param, field, want);
    last = std::string(e.GetString(), e.GetStringLength());
  }
  return last;
}

// "1:1", "19.5:9": both sides positive decimals, ratio within 1:4..4:1.
std::optional<double> ParseRatio(absl::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, ':');
  if (parts.size() != 2) return std::nullopt;
  double a = 0, b = 0;
  if (parts[0].size() > 8 || parts[1].size() > 8 ||
      !absl::SimpleAtod(parts[0], &a) || !absl::SimpleAtod(parts[1], &b) ||
      !(a > 0) || !(b > 0)) {
    return std::nullopt;
  }
  const double r = a / b;
  if (!(r >= 0.25 && r <= 4)) return std::nullopt;
  return r;
}

int RoundTo8(double v) {
  int i = static_cast<int>(std::lround(v / 8.0)) * 8;
  return std::max(i, kMinSize);
}

// "1024x1024" (also "X"), both edges kMinSize..kMaxSize.
bool ParseSize(absl::string_view s, int* w, int* h) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::AsciiStrToLower(s), 'x');
  if (parts.size() != 2 || parts[0].size() > 5 || parts[1].size() > 5) {
    return false;
  }
  return absl::SimpleAtoi(parts[0], w) && absl::SimpleAtoi(parts[1], h) &&
         *w >= kMinSize && *w <= kMaxSize && *h >= kMinSize &&
         *h <= kMaxSize;
}

std::string LowerStateName(v1::TaskState state) {
  absl::string_view name = v1::TaskState_Name(state);
  absl::ConsumePrefix(&name, "TASK_STATE_");
  return absl::AsciiStrToLower(name);
}

// Members whose name may open a core message ("n must be between 1 and
// 10"), with the request member they stand for.
struct ParamWord {
  const char* word;
  const char* param;
};
constexpr ParamWord kParamWords[] = {
    {"prompt", "prompt"}, {"n", "n"},         {"model", "model"},
    {"width", "size"},    {"height", "size"}, {"idempotency_key", ""},
};

}  // namespace

absl::StatusOr<OpenAiImageRequest> DecodeOpenAiImageRequest(
    absl::string_view body, std::string* param) {
  param->clear();
  auto parsed = json::Parse(body);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid JSON body: ", parsed.status().message()));
  }
  if (!parsed->IsObject()) {
    return absl::InvalidArgumentError("Invalid JSON body: expected an object");
  }
  const rapidjson::Document& doc = *parsed;
  OpenAiImageRequest out;

  const rapidjson::Value* prompt = json::Find(doc, "prompt");
  if (prompt == nullptr || prompt->IsNull()) {
    return Bad(param, "prompt", "Missing required parameter: 'prompt'.");
  }
  if (!prompt->IsString()) {
    return Bad(param, "prompt", "prompt must be a string");
  }
  absl::string_view prompt_text(prompt->GetString(),
                                prompt->GetStringLength());
  if (absl::StripAsciiWhitespace(prompt_text).empty()) {
    return Bad(param, "prompt", "prompt must not be empty");
  }
  out.submit.set_prompt(std::string(prompt_text));

  const rapidjson::Value* model = json::Find(doc, "model");
  if (model == nullptr || model->IsNull()) {
    return Bad(param, "model", "Missing required parameter: 'model'.");
  }
  if (!model->IsString()) return Bad(param, "model", "model must be a string");
  out.model.assign(model->GetString(), model->GetStringLength());

  const rapidjson::Value* n = json::Find(doc, "n");
  if (n != nullptr && !n->IsNull()) {
    auto v = json::AsInt(*n, "n");
    if (!v.ok()) return Bad(param, "n", "n must be an integer");
    if (*v < 1 || *v > kMaxImages) {
      return Bad(param, "n",
                 absl::StrCat(*v, " is not within 1..", kMaxImages,
                              " - 'n'"));
    }
    out.submit.set_n(static_cast<int32_t>(*v));
  }

  auto format = StringOrArray(doc, "response_format", param);
  if (!format.ok()) return format.status();
  if (*format) {
    // Seed 003's example sends "b64_json " with a trailing space.
    absl::string_view f = absl::StripAsciiWhitespace(**format);
    if (f == "b64_json") {
      out.b64_json = true;
    } else if (f != "url") {
      return Bad(param, "response_format",
                 "response_format must be 'url' or 'b64_json'");
    }
  }

  const rapidjson::Value* user = json::Find(doc, "user");
  if (user != nullptr && !user->IsNull()) {
    if (!user->IsString() || user->GetStringLength() > kOpenAiMaxUserChars) {
      return Bad(param, "user",
                 absl::StrCat("user must be a string of at most ",
                              kOpenAiMaxUserChars, " bytes"));
    }
    out.user.assign(user->GetString(), user->GetStringLength());
  }

  auto quality = StringOrArray(doc, "quality", param);
  if (!quality.ok()) return quality.status();
  if (*quality) {
    // Accepted for the clients that send it; no workflow takes it.
    static constexpr absl::string_view kQualities[] = {
        "low", "medium", "high", "standard", "hd", "auto"};
    if (std::find(std::begin(kQualities), std::end(kQualities), **quality) ==
        std::end(kQualities)) {
      return Bad(param, "quality",
                 "quality must be one of low, medium, high, standard, hd, "
                 "auto");
    }
  }

  int edge = 0;  // 0 = no resolution asked for
  auto resolution = StringOrArray(doc, "resolution", param);
  if (!resolution.ok()) return resolution.status();
  if (*resolution) {
    const std::string r = absl::AsciiStrToLower(**resolution);
    if (r == "1k") {
      edge = 1024;
    } else if (r == "2k") {
      edge = 2048;
    } else {
      return Bad(param, "resolution", "resolution must be '1k' or '2k'");
    }
  }
  std::optional<double> ratio;
  auto aspect = StringOrArray(doc, "aspect_ratio", param);
  if (!aspect.ok()) return aspect.status();
  if (*aspect && **aspect != "auto") {
    ratio = ParseRatio(**aspect);
    if (!ratio) {
      return Bad(param, "aspect_ratio",
                 "aspect_ratio must be 'auto' or 'w:h' within 1:4..4:1");
    }
  }

  const rapidjson::Value* size = json::Find(doc, "size");
  int w = 0, h = 0;
  if (size != nullptr && !size->IsNull()) {
    if (!size->IsString()) return Bad(param, "size", "size must be a string");
    absl::string_view s(size->GetString(), size->GetStringLength());
    if (s != "auto" && !ParseSize(s, &w, &h)) {
      return Bad(param, "size",
                 absl::StrCat("size must be 'auto' or WxH with each edge "
                              "within ",
                              kMinSize, "..", kMaxSize));
    }
  }
  if (w == 0 && ratio) {
    const int long_edge = edge == 0 ? 1024 : edge;
    if (*ratio >= 1) {
      w = long_edge;
      h = RoundTo8(long_edge / *ratio);
    } else {
      h = long_edge;
      w = RoundTo8(long_edge * *ratio);
    }
  } else if (w == 0 && edge != 0) {
    w = h = edge;
  }
  if (w != 0) {
    out.submit.set_width(w);
    out.submit.set_height(h);
  }
  return out;
}

OpenAiError OpenAiErrorFor(const absl::Status& status) {
  OpenAiError e;
  e.message = std::string(status.message());
  int http = ToHttpStatus(status);
  // Where a reason says more than the code. A caller's own exhausted
  // balance is 429 "insufficient_quota", as OpenAI signals it.
  std::optional<Reason> reason = ReasonOf(status);
  if (reason == Reason::kCallerBalanceShort) {
    e.http_status = 429;
    e.type = "insufficient_quota";
    e.code = "insufficient_quota";
    return e;
  }
  if (reason == Reason::kRateLimited || reason == Reason::kCallerOverLimit) {
    e.http_status = 429;
    e.type = "requests";
    e.code = "rate_limit_exceeded";
    return e;
  }
  switch (http) {
    case 400:
    case 404:
    case 409:
      e.http_status = http;
      e.type = "invalid_request_error";
      break;
    case 401:
      e.http_status = 401;
      e.type = "invalid_request_error";
      e.code = "invalid_api_key";
      break;
    case 403:
      e.http_status = 403;
      e.type = "invalid_request_error";
      e.code = "permission_denied";
      break;
    case 429:
      e.http_status = 429;
      e.type = "requests";
      e.code = "rate_limit_exceeded";
      break;
    case 503:
    case 504:
      e.http_status = 503;
      e.type = "server_error";
      break;
    default:
      e.http_status = http >= 400 && http < 500 ? 400 : 500;
      e.type = http >= 400 && http < 500 ? "invalid_request_error"
                                         : "server_error";
      break;
  }
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    absl::string_view msg = status.message();
    absl::string_view first = msg.substr(0, msg.find(' '));
    for (const ParamWord& p : kParamWords) {
      if (first == p.word) e.param = p.param;
    }
    if (msg == "Missing prompt") e.param = "prompt";
  }
  return e;
}

std::string EncodeOpenAiError(const OpenAiError& error) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("message");
  Str(w, error.message);
  w.Key("type");
  Str(w, error.type);
  w.Key("param");
  if (error.param.empty()) {
    w.Null();
  } else {
    Str(w, error.param);
  }
  w.Key("code");
  if (error.code.empty()) {
    w.Null();
  } else {
    Str(w, error.code);
  }
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string EncodeOpenAiImages(int64_t created,
                               const std::vector<OpenAiImage>& images) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("created");
  w.Int64(created);
  w.Key("data");
  w.StartArray();
  for (const OpenAiImage& image : images) {
    w.StartObject();
    if (image.b64) {
      w.Key("b64_json");
      Str(w, absl::Base64Escape(image.bytes));
    } else {
      w.Key("url");
      Str(w, image.url);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string EncodeOpenAiAccepted(const v1::Task& task,
                                 absl::string_view status_url) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("id");
  Str(w, task.id());
  w.Key("object");
  w.String("image.generation.task");
  w.Key("created");
  w.Int64(task.create_time().seconds());
  w.Key("status");
  Str(w, LowerStateName(task.state()));
  w.Key("status_url");
  Str(w, status_url);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string EncodeOpenAiModels(const ModelTable& models) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("object");
  w.String("list");
  w.Key("data");
  w.StartArray();
  for (const ModelEntry& m : models.entries()) {
    w.StartObject();
    w.Key("id");
    Str(w, m.name);
    w.Key("object");
    w.String("model");
    w.Key("created");
    w.Int(0);
    w.Key("owned_by");
    w.String("mediagw");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace mediagw::gateway
