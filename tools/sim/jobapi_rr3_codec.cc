#include "tools/sim/jobapi_rr3_codec.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mediagw::sim {
namespace {

absl::Status Bad(absl::string_view a, absl::string_view b = "",
                 absl::string_view c = "") {
  return absl::InvalidArgumentError(absl::StrCat(a, b, c));
}

// An optional integer member within [lo, hi]; `value` keeps its default
// when the member is absent or null.
template <typename T>
absl::Status OptInt(const rapidjson::Value& obj, absl::string_view name,
                    int64_t lo, int64_t hi, T* value) {
  auto v = json::GetOptInt(obj, name);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return absl::OkStatus();
  if (**v < lo || **v > hi) {
    return Bad(name, absl::StrCat(" must be between ", lo, " and ", hi));
  }
  *value = static_cast<T>(**v);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Rr3GenerateRequest> ParseRr3Generate(absl::string_view body) {
  auto doc = json::ParseObject(body);
  if (!doc.ok()) {
    return Bad("invalid JSON body: ", doc.status().message());
  }
  Rr3GenerateRequest r;
  auto prompt = json::GetOptString(*doc, "prompt");
  if (!prompt.ok()) return prompt.status();
  if (!prompt->has_value() || (*prompt)->empty()) {
    return Bad("prompt is required");
  }
  if ((*prompt)->size() > kRr3MaxPromptChars) {
    return Bad("prompt is longer than ", absl::StrCat(kRr3MaxPromptChars),
               " characters");
  }
  r.prompt = **prompt;
  auto negative = json::GetOptString(*doc, "negative_prompt");
  if (!negative.ok()) return negative.status();
  r.negative_prompt = negative->value_or("");
  if (auto st = OptInt(*doc, "width", kRr3MinSide, kRr3MaxSide, &r.width);
      !st.ok()) {
    return st;
  }
  if (auto st = OptInt(*doc, "height", kRr3MinSide, kRr3MaxSide, &r.height);
      !st.ok()) {
    return st;
  }
  if (auto st = OptInt(*doc, "steps", 1, kRr3MaxSteps, &r.steps); !st.ok()) {
    return st;
  }
  if (auto st = OptInt(*doc, "batch_size", 1, kRr3MaxBatch, &r.batch_size);
      !st.ok()) {
    return st;
  }
  if (auto st = OptInt(*doc, "seed", -1, INT64_MAX, &r.seed); !st.ok()) {
    return st;
  }
  auto cfg = json::GetOptDouble(*doc, "cfg_scale");
  if (!cfg.ok()) return cfg.status();
  if (cfg->has_value()) {
    if (!(**cfg >= 0 && **cfg <= 30)) {
      return Bad("cfg_scale must be between 0 and 30");
    }
    r.cfg_scale = **cfg;
  }
  return r;
}

std::string Rr3ErrorJson(int code, absl::string_view msg) {
  return absl::StrCat("{\"code\":", code, ",\"msg\":", json::Quote(msg),
                      ",\"data\":null}");
}

std::string Rr3AcceptedJson(uint64_t task_id) {
  return absl::StrCat(R"({"code":0,"msg":"ok","data":{"task_id":)", task_id,
                      "}}");
}

std::string Rr3TaskJson(const Rr3TaskView& view) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](absl::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("code");
  w.Int(0);
  w.Key("msg");
  str("ok");
  w.Key("data");
  w.StartObject();
  w.Key("task_id");
  w.Uint64(view.task_id);
  w.Key("status");
  str(view.status);
  w.Key("progress");
  w.Int(view.progress);
  w.Key("images");
  w.StartArray();
  for (const std::string& url : view.images) str(url);
  w.EndArray();
  w.Key("error");
  if (view.error.has_value()) {
    str(*view.error);
  } else {
    w.Null();
  }
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

}  // namespace mediagw::sim
