#include "tools/sim/jobapi_flux_codec.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mediagw::sim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

FluxFieldError FieldError(absl::string_view field, std::string msg,
                          std::string type) {
  return {{"body", std::string(field)}, std::move(msg), std::move(type)};
}

// An optional integer member in [lo, hi] and a multiple of `multiple`.
std::optional<FluxFieldError> OptInt(const rapidjson::Value& obj,
                                     absl::string_view name, int64_t lo,
                                     int64_t hi, int64_t multiple,
                                     int64_t* value) {
  const rapidjson::Value* v = json::Find(obj, name);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  auto n = json::AsInt(*v, name);
  if (!n.ok()) {
    return FieldError(name, "Input should be a valid integer", "int_type");
  }
  if (*n < lo) {
    return FieldError(
        name, absl::StrCat("Input should be greater than or equal to ", lo),
        "greater_than_equal");
  }
  if (*n > hi) {
    return FieldError(
        name, absl::StrCat("Input should be less than or equal to ", hi),
        "less_than_equal");
  }
  if (*n % multiple != 0) {
    return FieldError(name,
                      absl::StrCat("Input should be a multiple of ", multiple),
                      "multiple_of");
  }
  *value = *n;
  return std::nullopt;
}

}  // namespace

std::variant<FluxRequest, FluxFieldError> ParseFluxRequest(
    absl::string_view body) {
  auto doc = json::Parse(body);
  if (!doc.ok()) {
    return FluxFieldError{{"body", "0"}, "JSON decode error", "json_invalid"};
  }
  if (!doc->IsObject()) {
    return FluxFieldError{
        {"body"},
        "Input should be a valid dictionary or object to extract fields from",
        "model_attributes_type"};
  }
  FluxRequest r;
  const rapidjson::Value* prompt = json::Find(*doc, "prompt");
  if (prompt == nullptr || prompt->IsNull()) {
    return FieldError("prompt", "Field required", "missing");
  }
  if (!prompt->IsString()) {
    return FieldError("prompt", "Input should be a valid string",
                      "string_type");
  }
  r.prompt.assign(prompt->GetString(), prompt->GetStringLength());
  if (r.prompt.empty()) {
    return FieldError("prompt", "String should have at least 1 character",
                      "string_too_short");
  }
  int64_t width = r.width, height = r.height, steps = r.steps;
  if (auto e = OptInt(*doc, "width", kFluxMinSide, kFluxMaxSide,
                      kFluxSideMultiple, &width)) {
    return *e;
  }
  if (auto e = OptInt(*doc, "height", kFluxMinSide, kFluxMaxSide,
                      kFluxSideMultiple, &height)) {
    return *e;
  }
  if (auto e = OptInt(*doc, "steps", 1, kFluxMaxSteps, 1, &steps)) return *e;
  int64_t seed = 0;
  if (auto e = OptInt(*doc, "seed", 0, INT64_MAX, 1, &seed)) return *e;
  const rapidjson::Value* seed_value = json::Find(*doc, "seed");
  if (seed_value != nullptr && !seed_value->IsNull()) r.seed = seed;
  const rapidjson::Value* guidance = json::Find(*doc, "guidance");
  if (guidance != nullptr && !guidance->IsNull()) {
    if (!guidance->IsNumber()) {
      return FieldError("guidance", "Input should be a valid number",
                        "float_type");
    }
    const double g = guidance->GetDouble();
    if (!(g >= 0 && g <= 100)) {
      return FieldError("guidance", "Input should be between 0 and 100",
                        "less_than_equal");
    }
    r.guidance = g;
  }
  r.width = static_cast<int>(width);
  r.height = static_cast<int>(height);
  r.steps = static_cast<int>(steps);
  return r;
}

std::string FluxValidationJson(const FluxFieldError& error) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("detail");
  w.StartArray();
  w.StartObject();
  w.Key("loc");
  w.StartArray();
  for (const std::string& part : error.loc) Str(w, part);
  w.EndArray();
  w.Key("msg");
  Str(w, error.msg);
  w.Key("type");
  Str(w, error.type);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

std::string FluxDetailJson(absl::string_view message) {
  return absl::StrCat("{\"detail\":", json::Quote(message), "}");
}

std::string FluxAcceptedJson(absl::string_view id,
                             absl::string_view polling_url) {
  return absl::StrCat("{\"id\":", json::Quote(id),
                      ",\"polling_url\":", json::Quote(polling_url), "}");
}

std::string FluxResultJson(const FluxResultView& view) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("id");
  Str(w, view.id);
  w.Key("status");
  Str(w, view.status);
  w.Key("result");
  if (view.status == "Ready") {
    w.StartObject();
    w.Key("sample");
    Str(w, view.sample_url);
    w.Key("prompt");
    Str(w, view.prompt);
    w.Key("seed");
    w.Int64(view.seed);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("progress");
  if (view.progress.has_value() && std::isfinite(*view.progress)) {
    w.Double(*view.progress);
  } else {
    w.Null();
  }
  w.Key("details");
  if (!view.error.empty()) {
    w.StartObject();
    w.Key("error");
    Str(w, view.error);
    w.EndObject();
  } else if (!view.moderation_reasons.empty()) {
    w.StartObject();
    w.Key("Moderation Reasons");
    w.StartArray();
    for (const std::string& reason : view.moderation_reasons) Str(w, reason);
    w.EndArray();
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
  return buf.GetString();
}

}  // namespace mediagw::sim
