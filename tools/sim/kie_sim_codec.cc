#include "tools/sim/kie_sim_codec.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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

std::string Text(const rapidjson::StringBuffer& sb) {
  return std::string(sb.GetString(), sb.GetSize());
}

absl::Status Invalid(absl::string_view msg) {
  return absl::InvalidArgumentError(msg);
}

bool IsKnownModel(absl::string_view model) {
  for (absl::string_view m : kKieModels) {
    if (m == model) return true;
  }
  return false;
}

void OptInt(Writer& w, const std::optional<int64_t>& v) {
  if (v.has_value()) {
    w.Int64(*v);
  } else {
    w.Null();
  }
}

// `fill` writes the members of data.
template <typename Fill>
std::string Envelope(int code, absl::string_view msg, Fill fill) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("code");
  w.Int(code);
  w.Key("msg");
  Str(w, msg);
  w.Key("data");
  fill(w);
  w.EndObject();
  return Text(sb);
}

void TaskData(Writer& w, const KieTaskView& v) {
  w.StartObject();
  w.Key("taskId");
  Str(w, v.task_id);
  w.Key("model");
  Str(w, v.model);
  w.Key("state");
  Str(w, v.state);
  w.Key("param");
  Str(w, v.param);
  w.Key("resultJson");
  if (v.result_urls.empty()) {
    Str(w, "");
  } else {
    rapidjson::StringBuffer inner_sb;
    Writer inner(inner_sb);
    inner.StartObject();
    inner.Key("resultUrls");
    inner.StartArray();
    for (const std::string& url : v.result_urls) Str(inner, url);
    inner.EndArray();
    inner.EndObject();
    Str(w, Text(inner_sb));
  }
  w.Key("failCode");
  Str(w, v.fail_code);
  w.Key("failMsg");
  Str(w, v.fail_msg);
  w.Key("costTime");
  OptInt(w, v.cost_time_ms);
  w.Key("completeTime");
  OptInt(w, v.complete_time_ms);
  w.Key("createTime");
  w.Int64(v.create_time_ms);
  w.Key("updateTime");
  w.Int64(v.update_time_ms);
  w.EndObject();
}

}  // namespace

bool IsHttpUrl(absl::string_view url) {
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  const size_t sep = url.find("://");
  if (sep == absl::string_view::npos) return false;
  const std::string scheme = absl::AsciiStrToLower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") return false;
  const absl::string_view rest = url.substr(sep + 3);
  return !rest.empty() && rest[0] != '/';
}

absl::StatusOr<KieCreateRequest> ParseKieCreateTask(absl::string_view body) {
  auto doc = json::ParseObject(body);
  if (!doc.ok()) {
    return Invalid(absl::StrCat("request body: ", doc.status().message()));
  }
  KieCreateRequest req;
  auto model = json::GetString(*doc, "model");
  if (!model.ok()) return Invalid(model.status().message());
  if (!IsKnownModel(*model)) {
    return Invalid(absl::StrCat("model '",
                                absl::string_view(*model).substr(0, 100),
                                "' is not supported"));
  }
  req.model = *std::move(model);
  req.video = absl::StrContains(req.model, "-to-video");
  auto callback = json::GetOptString(*doc, "callBackUrl");
  if (!callback.ok()) return Invalid(callback.status().message());
  if (callback->has_value() && !(*callback)->empty()) {
    if (!IsHttpUrl(**callback)) {
      return Invalid("callBackUrl must be an http(s) URL");
    }
    req.callback_url = **std::move(callback);
  }
  auto input = json::GetObject(*doc, "input");
  if (!input.ok()) return Invalid(input.status().message());
  auto prompt = json::GetString(**input, "prompt");
  if (!prompt.ok()) {
    return Invalid(absl::StrCat("input: ", prompt.status().message()));
  }
  if (absl::StripAsciiWhitespace(*prompt).empty()) {
    return Invalid("input.prompt is required");
  }
  if (prompt->size() > kKieMaxPromptChars) {
    return Invalid(absl::StrCat("input.prompt is longer than ",
                                kKieMaxPromptChars, " characters"));
  }
  req.prompt = *std::move(prompt);
  auto ratio = json::GetOptString(**input, "aspect_ratio");
  if (!ratio.ok()) {
    return Invalid(absl::StrCat("input: ", ratio.status().message()));
  }
  req.aspect_ratio = ratio->value_or("1:1");
  if (req.aspect_ratio != "1:1" && req.aspect_ratio != "2:3" &&
      req.aspect_ratio != "3:2") {
    return Invalid("input.aspect_ratio must be one of 1:1, 2:3, 3:2");
  }
  const bool needs_image =
      absl::StartsWith(req.model, "grok-imagine/image-to-");
  const rapidjson::Value* urls = json::Find(**input, "image_urls");
  if (urls != nullptr && !urls->IsNull()) {
    if (!urls->IsArray()) return Invalid("input.image_urls must be an array");
    for (const rapidjson::Value& item : urls->GetArray()) {
      auto url = json::AsString(item, "input.image_urls[]");
      if (!url.ok()) return Invalid(url.status().message());
      if (!IsHttpUrl(*url)) {
        return Invalid("input.image_urls must hold http(s) URLs");
      }
      req.image_urls.push_back(*std::move(url));
    }
  }
  if (needs_image && req.image_urls.empty()) {
    return Invalid(
        absl::StrCat("input.image_urls is required for ", req.model));
  }
  return req;
}

std::string KieEnvelopeJson(int code, absl::string_view msg) {
  return Envelope(code, msg, [](Writer& w) { w.Null(); });
}

std::string KieCreatedJson(absl::string_view task_id) {
  return Envelope(200, "success", [task_id](Writer& w) {
    w.StartObject();
    w.Key("taskId");
    Str(w, task_id);
    w.EndObject();
  });
}

std::string KieTaskDataJson(const KieTaskView& view) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  TaskData(w, view);
  return Text(sb);
}

std::string KieRecordInfoJson(const KieTaskView& view) {
  return Envelope(200, "success", [&view](Writer& w) { TaskData(w, view); });
}

std::string KieCallbackJson(const KieTaskView& view) {
  const bool ok = view.state == "success";
  const std::string msg =
      ok ? std::string("Task completed successfully.")
         : (view.fail_msg.empty() ? std::string("Generation failed.")
                                  : view.fail_msg);
  return Envelope(ok ? 200 : 501, msg,
                  [&view](Writer& w) { TaskData(w, view); });
}

}  // namespace mediagw::sim
