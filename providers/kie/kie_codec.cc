#include "providers/kie/kie_codec.h"

#include <cmath>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_mapping.h"
#include "common/utf8.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mediagw::kie {
namespace {

constexpr absl::string_view kProvider = "kie";
// Upstream text quoted in our messages stays short.
constexpr size_t kMaxQuoted = 200;

absl::Status Malformed(absl::string_view what, absl::string_view why) {
  return absl::UnavailableError(
      absl::StrCat("malformed upstream response (kie ", what, "): ", why));
}

bool Is2xx(int status) { return status >= 200 && status < 300; }

// The {"code", "msg"} envelope every kie reply carries, when the body has
// one. `doc` must be an object.
struct Envelope {
  int64_t code = 0;
  std::string msg;
};

std::optional<Envelope> ReadEnvelope(const rapidjson::Value& doc) {
  auto code = json::GetOptInt(doc, "code");
  if (!code.ok() || !code->has_value()) return std::nullopt;
  Envelope e;
  e.code = **code;
  auto msg = json::GetOptString(doc, "msg");
  if (msg.ok() && msg->has_value()) e.msg = **msg;
  return e;
}

// A JSON string or number as text ("" for absent or null); other types are
// an error.
absl::StatusOr<std::string> StringOrNumber(const rapidjson::Value& obj,
                                           absl::string_view name) {
  const rapidjson::Value* v = json::Find(obj, name);
  if (v == nullptr || v->IsNull()) return std::string();
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsNumber()) {
    auto i = json::AsInt(*v, name);
    if (i.ok()) return absl::StrCat(*i);
    return absl::StrCat(v->GetDouble());
  }
  return absl::InvalidArgumentError(
      absl::StrCat("field '", name, "' must be a string or a number"));
}

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

absl::StatusOr<std::vector<std::string>> UrlsFrom(const rapidjson::Value& obj) {
  if (!obj.IsObject()) {
    return absl::InvalidArgumentError("resultJson is not a JSON object");
  }
  auto list = json::GetArray(obj, "resultUrls");
  if (!list.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("resultJson: ", list.status().message()));
  }
  std::vector<std::string> urls;
  for (const rapidjson::Value& item : (*list)->GetArray()) {
    auto url = json::AsString(item, "resultUrls[]");
    if (!url.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("resultJson: ", url.status().message()));
    }
    if (!IsHttpUrl(*url)) {
      return absl::InvalidArgumentError(
          absl::StrCat("resultJson lists a URL that is not http(s): ",
                       SanitizeUpstreamText(*url, kMaxQuoted)));
    }
    urls.push_back(*std::move(url));
  }
  if (urls.empty()) {
    return absl::InvalidArgumentError("resultJson lists no resultUrls");
  }
  return urls;
}

absl::StatusOr<TaskInfo::State> ParseState(absl::string_view state) {
  if (state == "waiting") return TaskInfo::State::kWaiting;
  if (state == "queuing") return TaskInfo::State::kQueuing;
  if (state == "generating") return TaskInfo::State::kGenerating;
  if (state == "success") return TaskInfo::State::kSuccess;
  if (state == "fail") return TaskInfo::State::kFail;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown state '", SanitizeUpstreamText(state, kMaxQuoted), "'"));
}

}  // namespace

std::string NearestAspectRatio(int width, int height) {
  if (width <= 0 || height <= 0) return "1:1";
  struct Choice {
    absl::string_view name;
    double ratio;
  };
  static constexpr Choice kChoices[] = {
      {"1:1", 1.0}, {"2:3", 2.0 / 3.0}, {"3:2", 3.0 / 2.0}};
  const double want = std::log(static_cast<double>(width) / height);
  absl::string_view best = kChoices[0].name;
  double best_distance = std::fabs(want);
  for (const Choice& c : kChoices) {
    const double d = std::fabs(want - std::log(c.ratio));
    if (d < best_distance) {
      best = c.name;
      best_distance = d;
    }
  }
  return std::string(best);
}

std::string BuildCreateTaskBody(const CreateTaskRequest& request) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](absl::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("model");
  str(request.model);
  if (!request.callback_url.empty()) {
    w.Key("callBackUrl");
    str(request.callback_url);
  }
  w.Key("input");
  w.StartObject();
  w.Key("prompt");
  str(request.prompt);
  if (!request.aspect_ratio.empty()) {
    w.Key("aspect_ratio");
    str(request.aspect_ratio);
  }
  if (!request.image_urls.empty()) {
    w.Key("image_urls");
    w.StartArray();
    for (const std::string& url : request.image_urls) str(url);
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

absl::Status BodyCodeToStatus(int64_t code, absl::string_view msg) {
  const std::string message =
      absl::StrCat("kie answered code ", code, msg.empty() ? "" : ": ",
                   SanitizeUpstreamText(msg, kMaxQuoted));
  switch (code) {
    case 401:
      return WithReason(absl::FailedPreconditionError(absl::StrCat(
                            message, " (our kie API key was refused)")),
                        Reason::kUpstreamCredentialsRefused);
    case 402:
      return WithReason(absl::FailedPreconditionError(absl::StrCat(
                            message, " (our kie account is out of credits)")),
                        Reason::kInsufficientBalance);
    case 501:
      return absl::InternalError(absl::StrCat(message, " (generation failed)"));
    case 505:
      return absl::FailedPreconditionError(
          absl::StrCat(message, " (feature disabled)"));
    default:
      break;
  }
  if (code >= 200 && code < 300) {
    return absl::UnknownError(absl::StrCat(message, " (expected code 200)"));
  }
  if (code < 100 || code > 999) {
    return absl::UnknownError(message);
  }
  return UpstreamHttpToStatus(static_cast<int>(code), kProvider,
                              SanitizeUpstreamText(msg, kMaxQuoted));
}

absl::Status CreateTaskCodeToStatus(int64_t code, absl::string_view msg) {
  absl::Status status = BodyCodeToStatus(code, msg);
  // Refused before acceptance: no job upstream, so another try is free.
  if (code == 501 || code == 505) {
    return absl::UnavailableError(status.message());
  }
  return status;
}

absl::StatusOr<std::string> ParseCreateTaskResponse(int http_status,
                                                    absl::string_view body) {
  auto doc = json::ParseObject(body, json::Utf8Policy::kRepair);
  std::optional<Envelope> envelope;
  if (doc.ok()) envelope = ReadEnvelope(*doc);
  if (envelope.has_value() && envelope->code != 200) {
    return CreateTaskCodeToStatus(envelope->code, envelope->msg);
  }
  if (!Is2xx(http_status)) {
    return UpstreamHttpToStatus(http_status, kProvider,
                                SanitizeUpstreamText(body, kMaxQuoted));
  }
  // kie answered 2xx, so it may have created (and will bill) the job.
  auto unreadable = [](absl::string_view why) {
    return absl::InternalError(
        absl::StrCat("malformed upstream response (kie createTask): ", why,
                     "; not retried: the job may exist upstream"));
  };
  if (!doc.ok()) return unreadable(doc.status().message());
  if (!envelope.has_value()) return unreadable("no integer 'code'");
  auto data = json::GetObject(*doc, "data");
  if (!data.ok()) return unreadable(data.status().message());
  auto id = json::GetString(**data, "taskId");
  if (!id.ok()) return unreadable(id.status().message());
  if (id->empty()) return unreadable("empty taskId");
  return *std::move(id);
}

absl::StatusOr<TaskInfo> ParseRecordInfo(int http_status,
                                         absl::string_view body,
                                         absl::string_view task_id) {
  auto doc = json::ParseObject(body, json::Utf8Policy::kRepair);
  std::optional<Envelope> envelope;
  if (doc.ok()) envelope = ReadEnvelope(*doc);
  if (envelope.has_value() && envelope->code == 404) {
    TaskInfo gone;
    gone.state = TaskInfo::State::kNotFound;
    gone.task_id = std::string(task_id);
    return gone;
  }
  if (envelope.has_value() && envelope->code != 200) {
    return BodyCodeToStatus(envelope->code, envelope->msg);
  }
  if (!Is2xx(http_status)) {
    return UpstreamHttpToStatus(http_status, kProvider,
                                SanitizeUpstreamText(body, kMaxQuoted));
  }
  if (!doc.ok()) return Malformed("recordInfo", doc.status().message());
  if (!envelope.has_value()) {
    return Malformed("recordInfo", "no integer 'code'");
  }
  TaskInfo info;
  info.task_id = std::string(task_id);
  const rapidjson::Value* data = json::Find(*doc, "data");
  if (data == nullptr || data->IsNull()) {
    // kie's answer for a task it has no record of.
    info.state = TaskInfo::State::kNotFound;
    return info;
  }
  if (!data->IsObject())
    return Malformed("recordInfo", "'data' is not an object");
  auto id = json::GetOptString(*data, "taskId");
  if (!id.ok()) return Malformed("recordInfo", id.status().message());
  if (id->has_value() && **id != task_id) {
    return Malformed(
        "recordInfo",
        absl::StrCat("answered about task '",
                     SanitizeUpstreamText(**id, kMaxQuoted), "'"));
  }
  auto model = json::GetOptString(*data, "model");
  if (!model.ok()) return Malformed("recordInfo", model.status().message());
  info.model = model->value_or("");
  auto state_text = json::GetString(*data, "state");
  if (!state_text.ok()) {
    return Malformed("recordInfo", state_text.status().message());
  }
  auto state = ParseState(*state_text);
  if (!state.ok()) return Malformed("recordInfo", state.status().message());
  info.state = *state;
  if (info.state == TaskInfo::State::kFail) {
    auto code = StringOrNumber(*data, "failCode");
    if (!code.ok()) return Malformed("recordInfo", code.status().message());
    auto msg = json::GetOptString(*data, "failMsg");
    if (!msg.ok()) return Malformed("recordInfo", msg.status().message());
    info.fail_code = *std::move(code);
    info.fail_msg = msg->value_or("");
  }
  if (info.state == TaskInfo::State::kSuccess) {
    const rapidjson::Value* result = json::Find(*data, "resultJson");
    absl::StatusOr<std::vector<std::string>> urls =
        absl::InvalidArgumentError("no resultJson");
    if (result != nullptr && result->IsString()) {
      urls = ParseResultJson(
          absl::string_view(result->GetString(), result->GetStringLength()));
    } else if (result != nullptr && result->IsObject()) {
      // Some kie models return the object itself rather than its text.
      urls = UrlsFrom(*result);
    } else if (result != nullptr && !result->IsNull()) {
      urls = absl::InvalidArgumentError("resultJson is not a string");
    }
    if (urls.ok()) {
      info.result_urls = *std::move(urls);
    } else {
      info.result_problem = std::string(urls.status().message());
    }
  }
  return info;
}

absl::StatusOr<std::vector<std::string>> ParseResultJson(
    absl::string_view text) {
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError("resultJson is empty");
  }
  auto doc = json::Parse(text, json::Utf8Policy::kRepair);
  if (!doc.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("resultJson: ", doc.status().message()));
  }
  return UrlsFrom(*doc);
}

absl::Status FailureToStatus(absl::string_view fail_code,
                             absl::string_view fail_msg) {
  std::string message = absl::StrCat(
      "kie: ", fail_msg.empty() ? absl::string_view("generation failed")
                                : SanitizeUpstreamText(fail_msg, kMaxQuoted));
  if (!fail_code.empty()) {
    absl::StrAppend(&message, " (failCode ", SanitizeUpstreamText(fail_code, 32), ")");
  }
  int code = 0;
  if (absl::SimpleAtoi(fail_code, &code) && code >= 400 && code < 500) {
    const absl::Status mapped = BodyCodeToStatus(code, fail_msg);
    if (!mapped.ok()) return absl::Status(mapped.code(), message);
  }
  return absl::InternalError(message);
}

absl::StatusOr<std::string> ParseCallbackTaskId(absl::string_view body) {
  auto doc = json::ParseObject(body, json::Utf8Policy::kRepair);
  if (!doc.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kie callback: ", doc.status().message()));
  }
  auto data = json::GetObject(*doc, "data");
  if (!data.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kie callback: ", data.status().message()));
  }
  for (absl::string_view name : {"taskId", "task_id"}) {
    auto id = json::GetOptString(**data, name);
    if (!id.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("kie callback: ", id.status().message()));
    }
    if (id->has_value() && !(*id)->empty()) return **std::move(id);
  }
  return absl::InvalidArgumentError("kie callback: data has no taskId");
}

std::string MimeTypeForUrl(absl::string_view url, absl::string_view fallback) {
  absl::string_view path = url.substr(0, url.find_first_of("?#"));
  const size_t slash = path.rfind('/');
  if (slash != absl::string_view::npos) path.remove_prefix(slash + 1);
  const size_t dot = path.rfind('.');
  if (dot == absl::string_view::npos) return std::string(fallback);
  const std::string ext = absl::AsciiStrToLower(path.substr(dot + 1));
  static constexpr std::pair<absl::string_view, absl::string_view> kTypes[] = {
      {"png", "image/png"},   {"jpg", "image/jpeg"},     {"jpeg", "image/jpeg"},
      {"webp", "image/webp"}, {"gif", "image/gif"},      {"mp4", "video/mp4"},
      {"webm", "video/webm"}, {"mov", "video/quicktime"}};
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return std::string(type);
  }
  return std::string(fallback);
}

std::string UrlEncode(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace mediagw::kie
