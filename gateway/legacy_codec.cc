#include "gateway/legacy_codec.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "core/state_machine.h"
#include "google/protobuf/util/time_util.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mediagw::gateway {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

absl::Status TypeError(absl::string_view field, absl::string_view want) {
  return absl::InvalidArgumentError(absl::StrCat(field, " must be ", want));
}

// Integer fields accept JSON integers (and integral floats like 512.0).
absl::StatusOr<std::optional<int64_t>> OptInt(const rapidjson::Value& obj,
                                              absl::string_view field) {
  const rapidjson::Value* v = json::Find(obj, field);
  if (v == nullptr || v->IsNull()) return std::optional<int64_t>();
  auto i = json::AsInt(*v, field);
  if (!i.ok()) return TypeError(field, "an integer");
  return std::optional<int64_t>(*i);
}

absl::StatusOr<std::optional<std::string>> OptString(
    const rapidjson::Value& obj, absl::string_view field) {
  const rapidjson::Value* v = json::Find(obj, field);
  if (v == nullptr || v->IsNull()) return std::optional<std::string>();
  if (!v->IsString()) return TypeError(field, "a string");
  return std::optional<std::string>(std::string(v->GetString(), v->GetStringLength()));
}

void Str(Writer& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string FormatTime(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

void TimeField(Writer& w, const char* name, const google::protobuf::Timestamp& ts) {
  w.Key(name);
  std::string s = FormatTime(ts);
  if (s.empty()) {
    w.Null();
  } else {
    Str(w, s);
  }
}

template <typename Fn>
std::string Envelope(Fn&& data) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("success");
  w.Bool(true);
  w.Key("data");
  data(w);
  w.Key("error");
  w.Null();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// The request body as a JSON object, or the envelope's error message.
absl::StatusOr<rapidjson::Document> ParseBody(absl::string_view body) {
  auto parsed = json::Parse(body);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid JSON body: ", parsed.status().message()));
  }
  if (!parsed->IsObject()) {
    return absl::InvalidArgumentError("Invalid JSON body: expected an object");
  }
  return parsed;
}

// The extension fields webhook_url (a string) and webhook_events (an array
// of at most 64 strings; the core checks their values), onto `req`.
template <typename Request>
absl::Status DecodeWebhook(const rapidjson::Document& doc, Request* req) {
  auto url = OptString(doc, "webhook_url");
  if (!url.ok()) return url.status();
  if (*url) req->set_webhook_url(**url);
  const rapidjson::Value* events = json::Find(doc, "webhook_events");
  if (events == nullptr || events->IsNull()) return absl::OkStatus();
  if (!events->IsArray() || events->Size() > 64) {
    return TypeError("webhook_events", "an array of at most 64 strings");
  }
  for (const rapidjson::Value& e : events->GetArray()) {
    if (!e.IsString()) {
      return TypeError("webhook_events", "an array of at most 64 strings");
    }
    req->add_webhook_events(e.GetString(), e.GetStringLength());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::SubmitImageRequest> DecodeImageGeneration(
    absl::string_view body) {
  auto parsed = ParseBody(body);
  if (!parsed.ok()) return parsed.status();
  const rapidjson::Document& doc = *parsed;
  v1::SubmitImageRequest req;
  const rapidjson::Value* prompt = json::Find(doc, "prompt");
  if (prompt == nullptr || prompt->IsNull()) {
    return absl::InvalidArgumentError("Missing prompt");
  }
  if (prompt->IsString()) {
    req.set_prompt(prompt->GetString(), prompt->GetStringLength());
  } else if (prompt->IsObject()) {
    req.set_workflow_json(json::Serialize(*prompt));
  } else {
    return TypeError("prompt", "a string or a ComfyUI workflow object");
  }
  auto negative = OptString(doc, "negative_prompt");
  if (!negative.ok()) return negative.status();
  if (*negative) req.set_negative_prompt(**negative);

  struct IntField {
    const char* name;
    void (v1::SubmitImageRequest::*set)(int32_t);
  };
  for (const IntField& f : {IntField{"width", &v1::SubmitImageRequest::set_width},
                            IntField{"height", &v1::SubmitImageRequest::set_height},
                            IntField{"steps", &v1::SubmitImageRequest::set_steps},
                            IntField{"n", &v1::SubmitImageRequest::set_n}}) {
    auto v = OptInt(doc, f.name);
    if (!v.ok()) return v.status();
    if (*v) {
      if (**v < INT32_MIN || **v > INT32_MAX) {
        return TypeError(f.name, "a 32-bit integer");
      }
      (req.*f.set)(static_cast<int32_t>(**v));
    }
  }
  auto seed = OptInt(doc, "seed");
  if (!seed.ok()) return seed.status();
  if (*seed) req.set_seed(**seed);

  const rapidjson::Value* cfg = json::Find(doc, "cfg");
  if (cfg != nullptr && !cfg->IsNull()) {
    if (!cfg->IsNumber()) return TypeError("cfg", "a number");
    req.set_cfg(cfg->GetDouble());
  }
  auto workflow = OptString(doc, "workflow");
  if (!workflow.ok()) return workflow.status();
  if (*workflow) req.set_workflow(**workflow);
  auto model = OptString(doc, "model");
  if (!model.ok()) return model.status();
  if (*model) req.set_model(**model);
  if (absl::Status st = DecodeWebhook(doc, &req); !st.ok()) return st;
  return req;
}

absl::StatusOr<v1::SubmitVideoRequest> DecodeVideoGeneration(
    absl::string_view body) {
  auto parsed = ParseBody(body);
  if (!parsed.ok()) return parsed.status();
  const rapidjson::Document& doc = *parsed;
  v1::SubmitVideoRequest req;
  auto prompt = OptString(doc, "prompt");
  if (!prompt.ok()) return prompt.status();
  if (!*prompt) return absl::InvalidArgumentError("Missing prompt");
  req.set_prompt(**prompt);
  auto image = OptString(doc, "image");
  if (!image.ok()) return image.status();
  if (!*image) return absl::InvalidArgumentError("Missing image");
  req.set_image(**image);
  auto seed = OptInt(doc, "seed");
  if (!seed.ok()) return seed.status();
  if (*seed) req.set_seed(**seed);
  auto workflow = OptString(doc, "workflow");
  if (!workflow.ok()) return workflow.status();
  if (*workflow) req.set_workflow(**workflow);
  auto model = OptString(doc, "model");
  if (!model.ok()) return model.status();
  if (*model) req.set_model(**model);
  if (absl::Status st = DecodeWebhook(doc, &req); !st.ok()) return st;
  return req;
}

namespace {

void CheckStatus(Writer& w, const v1::Task& task) {
  w.Key("check_status");
  Str(w, absl::StrCat("?endpoint=task_status&task_id=", task.id()));
}

}  // namespace

std::string EncodeImageQueued(const v1::Task& task) {
  return Envelope([&](Writer& w) {
    w.StartObject();
    w.Key("id");
    Str(w, task.id());
    if (!task.provider().empty()) {
      // Workflows with a provider label (rr3, grok) answer in that shape.
      w.Key("provider");
      Str(w, task.provider());
      w.Key("status");
      w.String("queued");
      CheckStatus(w, task);
    } else {
      w.Key("status");
      w.String("queued");
      w.Key("message");
      w.String("Request queued. Webhook support coming soon.");
    }
    w.EndObject();
  });
}

std::string EncodeVideoQueued(const v1::Task& task) {
  return Envelope([&](Writer& w) {
    w.StartObject();
    w.Key("id");
    Str(w, task.id());
    w.Key("status");
    w.String("queued");
    w.Key("message");
    w.String("Video generation queued.");
    CheckStatus(w, task);
    w.EndObject();
  });
}

std::string EncodeTaskStatus(const v1::Task& task) {
  return Envelope([&](Writer& w) {
    w.StartObject();
    w.Key("id");
    Str(w, task.id());
    w.Key("status");
    w.String(LegacyStatusName(task.state()));
    w.Key("progress");
    w.Int(static_cast<int>(std::floor(task.progress() * 100 + 1e-9)));
    w.Key("workflow");
    Str(w, task.workflow());
    w.Key("provider");
    if (task.provider().empty()) {
      w.Null();
    } else {
      Str(w, task.provider());
    }
    w.Key("seed");
    w.Int64(task.seed());
    const bool video = task.kind() == v1::TASK_KIND_VIDEO;
    w.Key("type");
    w.String(video ? "video" : "image");
    w.Key("image_url");
    if (!video && task.outputs_size() > 0) {
      Str(w, task.outputs(0).uri());
    } else {
      w.Null();
    }
    w.Key("images");
    w.StartArray();
    if (!video) {
      for (const auto& o : task.outputs()) Str(w, o.uri());
    }
    w.EndArray();
    if (video) {
      w.Key("video_url");
      if (task.outputs_size() > 0) {
        Str(w, task.outputs(0).uri());
      } else {
        w.Null();
      }
      w.Key("mime_type");
      if (task.outputs_size() > 0) {
        Str(w, task.outputs(0).mime_type());
      } else {
        w.Null();
      }
    }
    w.Key("error");
    if (task.has_error() && !task.error().message().empty()) {
      Str(w, task.error().message());
    } else {
      w.Null();
    }
    TimeField(w, "created_at", task.create_time());
    TimeField(w, "updated_at", task.update_time());
    TimeField(w, "started_at", task.start_time());
    TimeField(w, "completed_at", task.end_time());
    // Extensions (docs/ACCOUNTS.md): credits held while the task runs, and
    // what it was charged once it ended.
    w.Key("held_credits");
    w.Int64(task.held_credits());
    w.Key("charged_credits");
    w.Int64(task.charged_credits());
    w.EndObject();
  });
}

std::string EncodeBalance(const v1::Account& account) {
  return Envelope([&](Writer& w) {
    w.StartObject();
    w.Key("balance");
    w.Int64(account.balance());
    w.Key("held");
    w.Int64(account.held());
    w.Key("unlimited");
    w.Bool(account.unlimited());
    w.EndObject();
  });
}

std::string EncodeError(absl::string_view message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("success");
  w.Bool(false);
  w.Key("data");
  w.Null();
  w.Key("error");
  Str(w, message);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace mediagw::gateway
