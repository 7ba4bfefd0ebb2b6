#include "gateway/kie_jobs_codec.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "common/status_mapping.h"
#include "core/request_normalizer.h"
#include "core/state_machine.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mediagw::gateway {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

absl::Status Bad(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// Code points of valid UTF-8 text (the parser has checked it).
size_t CodePoints(absl::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::optional<double> ParseRatio(absl::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, ':');
  double a = 0, b = 0;
  if (parts.size() != 2 || parts[0].size() > 8 || parts[1].size() > 8 ||
      !absl::SimpleAtod(parts[0], &a) || !absl::SimpleAtod(parts[1], &b) ||
      !(a > 0) || !(b > 0)) {
    return std::nullopt;
  }
  const double r = a / b;
  if (!(r >= 0.25 && r <= 4)) return std::nullopt;
  return r;
}

int RoundTo8(double v) {
  return std::max(static_cast<int>(v / 8.0 + 0.5) * 8, kMinSize);
}

int64_t Millis(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000 + ts.nanos() / 1000000;
}

bool IsSet(const google::protobuf::Timestamp& ts) {
  return ts.seconds() != 0 || ts.nanos() != 0;
}

}  // namespace

absl::StatusOr<KieCreateTask> DecodeKieCreateTask(absl::string_view body) {
  auto parsed = json::Parse(body);
  if (!parsed.ok()) {
    return Bad(absl::StrCat("Invalid JSON body: ", parsed.status().message()));
  }
  if (!parsed->IsObject()) return Bad("Invalid JSON body: expected an object");
  const rapidjson::Document& doc = *parsed;
  KieCreateTask out;
  const rapidjson::Value* model = json::Find(doc, "model");
  if (model == nullptr || !model->IsString() ||
      model->GetStringLength() == 0) {
    return Bad("model is required");
  }
  out.model.assign(model->GetString(), model->GetStringLength());

  const rapidjson::Value* cb = json::Find(doc, "callBackUrl");
  if (cb != nullptr && !cb->IsNull()) {
    if (!cb->IsString()) return Bad("callBackUrl must be a string");
    std::string url(cb->GetString(), cb->GetStringLength());
    if (!url.empty()) {
      if (absl::Status st = CheckWebhookUrl(url, "callBackUrl"); !st.ok()) {
        return st;
      }
    }
    out.callback_url = std::move(url);
  }

  const rapidjson::Value* input = json::Find(doc, "input");
  if (input == nullptr || !input->IsObject()) {
    return Bad("input is required and must be an object");
  }
  const rapidjson::Value* prompt = json::Find(*input, "prompt");
  if (prompt == nullptr || prompt->IsNull()) {
    return Bad("input.prompt is required");
  }
  if (!prompt->IsString()) return Bad("input.prompt must be a string");
  absl::string_view text(prompt->GetString(), prompt->GetStringLength());
  if (text.find_first_not_of(" \t\r\n") == absl::string_view::npos) {
    return Bad("input.prompt must not be empty");
  }
  if (CodePoints(text) > kKieMaxPromptChars) {
    return Bad(absl::StrCat("input.prompt must be at most ",
                            kKieMaxPromptChars, " characters"));
  }
  out.prompt = std::string(text);

  const rapidjson::Value* aspect = json::Find(*input, "aspect_ratio");
  if (aspect != nullptr && !aspect->IsNull()) {
    std::optional<double> ratio;
    if (aspect->IsString()) {
      ratio = ParseRatio(
          absl::string_view(aspect->GetString(), aspect->GetStringLength()));
    }
    if (!ratio) {
      return Bad("input.aspect_ratio must be \"w:h\" within 1:4..4:1, e.g. "
                 "\"1:1\", \"2:3\" or \"3:2\"");
    }
    if (*ratio >= 1) {
      out.width = 1024;
      out.height = RoundTo8(1024 / *ratio);
    } else {
      out.height = 1024;
      out.width = RoundTo8(1024 * *ratio);
    }
  }

  auto add_url = [&out](const rapidjson::Value& v) -> absl::Status {
    if (!v.IsString()) return Bad("input.image_urls must hold strings");
    std::string url(v.GetString(), v.GetStringLength());
    if (absl::Status st = CheckWebhookUrl(url, "input.image_urls");
        !st.ok()) {
      return st;
    }
    out.image_urls.push_back(std::move(url));
    return absl::OkStatus();
  };
  const rapidjson::Value* urls = json::Find(*input, "image_urls");
  if (urls != nullptr && !urls->IsNull()) {
    if (!urls->IsArray() || urls->Size() > kKieMaxImageUrls) {
      return Bad(absl::StrCat("input.image_urls must be an array of at most ",
                              kKieMaxImageUrls, " URLs"));
    }
    for (const auto& u : urls->GetArray()) {
      if (absl::Status st = add_url(u); !st.ok()) return st;
    }
  }
  const rapidjson::Value* url = json::Find(*input, "image_url");
  if (url != nullptr && !url->IsNull()) {
    if (absl::Status st = add_url(*url); !st.ok()) return st;
  }
  return out;
}

int KieCodeFor(const absl::Status& status) {
  // A caller's own exhausted balance is kie's 402 ("insufficient
  // credits"); over one of its limits, 429.
  const std::optional<Reason> reason = ReasonOf(status);
  if (reason == Reason::kCallerBalanceShort) return 402;
  if (reason == Reason::kRateLimited || reason == Reason::kCallerOverLimit) {
    return 429;
  }
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return 401;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
      return 422;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 455;
    case absl::StatusCode::kUnimplemented:
      return 505;
    default:
      return 500;
  }
}

std::string EncodeKieError(int code, absl::string_view msg) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("code");
  w.Int(code);
  w.Key("msg");
  Str(w, msg);
  w.Key("data");
  w.Null();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string EncodeKieCreated(absl::string_view task_id) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("code");
  w.Int(200);
  w.Key("msg");
  w.String("success");
  w.Key("data");
  w.StartObject();
  w.Key("taskId");
  Str(w, task_id);
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string KieState(v1::TaskState state) {
  switch (state) {
    case v1::TASK_STATE_PENDING:
      return "waiting";
    case v1::TASK_STATE_SUBMITTING:
    case v1::TASK_STATE_QUEUED:
      return "queuing";
    case v1::TASK_STATE_RUNNING:
    case v1::TASK_STATE_FINALIZING:
      return "generating";
    case v1::TASK_STATE_SUCCEEDED:
      return "success";
    default:
      return IsTerminal(state) ? "fail" : "waiting";
  }
}

namespace {

// {"code", "msg", "data": <the task's record>}.
std::string EncodeKieRecord(const v1::Task& task, absl::string_view model,
                            int code, absl::string_view msg) {
  const bool ended = IsTerminal(task.state());
  const bool succeeded = task.state() == v1::TASK_STATE_SUCCEEDED;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("code");
  w.Int(code);
  w.Key("msg");
  Str(w, msg);
  w.Key("data");
  w.StartObject();
  w.Key("taskId");
  Str(w, task.id());
  w.Key("model");
  Str(w, model);
  w.Key("state");
  Str(w, KieState(task.state()));
  w.Key("param");
  w.String("");
  w.Key("resultJson");
  if (succeeded) {
    rapidjson::StringBuffer inner;
    Writer iw(inner);
    iw.StartObject();
    iw.Key("resultUrls");
    iw.StartArray();
    for (const auto& o : task.outputs()) Str(iw, o.uri());
    iw.EndArray();
    iw.EndObject();
    w.String(inner.GetString(), static_cast<rapidjson::SizeType>(inner.GetSize()));
  } else {
    w.String("");
  }
  w.Key("failCode");
  if (ended && !succeeded) {
    absl::StatusCode code = absl::StatusCode::kInternal;
    for (int c = 1; c <= 16; ++c) {
      if (CodeName(static_cast<absl::StatusCode>(c)) == task.error().code()) {
        code = static_cast<absl::StatusCode>(c);
      }
    }
    if (task.state() == v1::TASK_STATE_TIMED_OUT) {
      code = absl::StatusCode::kDeadlineExceeded;
    }
    Str(w, absl::StrCat(ToHttpStatus(code)));
  } else {
    w.String("");
  }
  w.Key("failMsg");
  if (ended && !succeeded) {
    std::string msg = task.error().message();
    if (msg.empty()) {
      msg = task.state() == v1::TASK_STATE_CANCELED ? "canceled"
                                                     : "generation failed";
    }
    Str(w, msg);
  } else {
    w.String("");
  }
  const bool has_end = ended && IsSet(task.end_time());
  w.Key("costTime");
  if (has_end) {
    w.Int64(std::max<int64_t>(
        0, Millis(task.end_time()) - Millis(task.create_time())));
  } else {
    w.Null();
  }
  w.Key("completeTime");
  if (has_end) {
    w.Int64(Millis(task.end_time()));
  } else {
    w.Null();
  }
  w.Key("createTime");
  w.Int64(Millis(task.create_time()));
  w.Key("updateTime");
  w.Int64(Millis(task.update_time()));
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

std::string EncodeKieRecordInfo(const v1::Task& task, absl::string_view model) {
  return EncodeKieRecord(task, model, 200, "success");
}

std::string EncodeKieCallback(const v1::Task& task, absl::string_view model) {
  if (task.state() == v1::TASK_STATE_SUCCEEDED) {
    return EncodeKieRecord(task, model, 200, "success");
  }
  std::string msg = task.error().message();
  if (msg.empty()) {
    msg = task.state() == v1::TASK_STATE_CANCELED ? "canceled"
                                                   : "generation failed";
  }
  return EncodeKieRecord(task, model, 501, msg);
}

}  // namespace mediagw::gateway
