#include "providers/comfyui/comfyui_codec.h"

#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "common/utf8.h"
#include "rapidjson/document.h"

namespace mediagw::comfyui {
namespace {

constexpr absl::string_view kProvider = "comfyui";
constexpr absl::string_view kSlotNames[] = {
    "prompt", "negative", "seed", "width", "height",
    "steps",  "cfg",      "ckpt", "batch", "image"};

absl::Status Malformed(absl::string_view what, const absl::Status& cause) {
  return absl::UnavailableError(absl::StrCat("malformed upstream response (",
                                             what, "): ", cause.message()));
}

absl::Status TemplateError(absl::string_view name, absl::string_view msg) {
  return absl::InvalidArgumentError(
      absl::StrCat("workflow template '", name, "': ", msg));
}

bool IsKnownSlot(absl::string_view slot) {
  for (absl::string_view s : kSlotNames) {
    if (s == slot) return true;
  }
  return false;
}

absl::StatusOr<std::vector<SlotTarget>> ParseSlotTargets(
    const rapidjson::Value& workflow, absl::string_view slot,
    const rapidjson::Value& list) {
  if (!list.IsArray() || list.Empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "slot '", slot, "' must be a non-empty array of [node, input]"));
  }
  std::vector<SlotTarget> targets;
  for (const rapidjson::Value& pair : list.GetArray()) {
    if (!pair.IsArray() || pair.Size() != 2 || !pair[0].IsString() ||
        !pair[1].IsString()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "slot '", slot, "' has a target that is not [\"node\", \"input\"]"));
    }
    SlotTarget t{pair[0].GetString(), pair[1].GetString()};
    const rapidjson::Value* node = json::Find(workflow, t.node);
    if (node == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "slot '", slot, "' targets missing node '", t.node, "'"));
    }
    const rapidjson::Value* inputs = json::Find(*node, "inputs");
    if (inputs == nullptr || !inputs->IsObject() ||
        json::Find(*inputs, t.input) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("slot '", slot, "' targets missing input '", t.input,
                       "' of node '", t.node, "'"));
    }
    targets.push_back(std::move(t));
  }
  return targets;
}

rapidjson::Value* MutableMember(rapidjson::Value& obj, const std::string& name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

// Writes `value` into every target of `slot`; a no-op for absent slots.
absl::Status SetSlot(const WorkflowTemplate& tmpl, rapidjson::Document& doc,
                     absl::string_view slot, const rapidjson::Value& value) {
  if (!tmpl.HasSlot(slot)) return absl::OkStatus();
  for (const SlotTarget& t : tmpl.Targets(slot)) {
    rapidjson::Value* node = MutableMember(doc, t.node);
    rapidjson::Value* inputs =
        node == nullptr ? nullptr : MutableMember(*node, "inputs");
    rapidjson::Value* input =
        inputs == nullptr ? nullptr : MutableMember(*inputs, t.input);
    if (input == nullptr) {
      return absl::InternalError(absl::StrCat("template '", tmpl.name(),
                                              "' lost target of slot ", slot));
    }
    input->CopyFrom(value, doc.GetAllocator());
  }
  return absl::OkStatus();
}

absl::Status SetStringSlot(const WorkflowTemplate& tmpl,
                           rapidjson::Document& doc, absl::string_view slot,
                           const std::string& s) {
  rapidjson::Value v(s.data(), static_cast<rapidjson::SizeType>(s.size()),
                     doc.GetAllocator());
  return SetSlot(tmpl, doc, slot, v);
}

absl::Status SetIntSlot(const WorkflowTemplate& tmpl, rapidjson::Document& doc,
                        absl::string_view slot, int64_t i) {
  rapidjson::Value v(i);
  return SetSlot(tmpl, doc, slot, v);
}

// "node 3 (KSampler): Value not in list: ckpt_name" for each node error.
std::string SummarizeNodeErrors(const rapidjson::Value& node_errors) {
  std::vector<std::string> parts;
  if (!node_errors.IsObject()) return "";
  for (const auto& m : node_errors.GetObject()) {
    std::string node(m.name.GetString(), m.name.GetStringLength());
    std::string where = absl::StrCat("node ", node);
    auto cls = json::GetOptString(m.value, "class_type");
    if (cls.ok() && cls->has_value()) absl::StrAppend(&where, " (", **cls, ")");
    auto errors = json::GetArray(m.value, "errors");
    if (!errors.ok()) {
      parts.push_back(where);
      continue;
    }
    for (const rapidjson::Value& e : (*errors)->GetArray()) {
      auto msg = json::GetOptString(e, "message");
      auto details = json::GetOptString(e, "details");
      std::string text = where;
      if (msg.ok() && msg->has_value()) absl::StrAppend(&text, ": ", **msg);
      if (details.ok() && details->has_value() && !(*details)->empty()) {
        absl::StrAppend(&text, ": ", **details);
      }
      parts.push_back(std::move(text));
    }
  }
  return absl::StrJoin(parts, "; ");
}

// The run's error text from status.messages, "" when none is recorded.
absl::StatusOr<std::string> ExecutionError(const rapidjson::Value& messages,
                                           bool* interrupted) {
  if (!messages.IsArray()) {
    return absl::InvalidArgumentError("field 'messages' must be an array");
  }
  for (const rapidjson::Value& m : messages.GetArray()) {
    if (!m.IsArray() || m.Size() < 1 || !m[0].IsString()) {
      return absl::InvalidArgumentError(
          "status message must be [event, {...}]");
    }
    absl::string_view event(m[0].GetString(), m[0].GetStringLength());
    if (event == "execution_interrupted") {
      *interrupted = true;
      return std::string("interrupted");
    }
    if (event != "execution_error") continue;
    if (m.Size() < 2 || !m[1].IsObject()) {
      return absl::InvalidArgumentError("execution_error data must be an object");
    }
    MG_ASSIGN_OR_RETURN(auto text, json::GetOptString(m[1], "exception_message"));
    MG_ASSIGN_OR_RETURN(auto type, json::GetOptString(m[1], "exception_type"));
    MG_ASSIGN_OR_RETURN(auto node, json::GetOptString(m[1], "node_id"));
    MG_ASSIGN_OR_RETURN(auto cls, json::GetOptString(m[1], "node_type"));
    std::string out;
    if (node.has_value()) {
      absl::StrAppend(&out, "node ", *node);
      if (cls.has_value()) absl::StrAppend(&out, " (", *cls, ")");
      absl::StrAppend(&out, ": ");
    }
    if (text.has_value()) {
      absl::StrAppend(&out, absl::StripAsciiWhitespace(*text));
    } else if (type.has_value()) {
      absl::StrAppend(&out, *type);
    } else {
      absl::StrAppend(&out, "execution error");
    }
    return SanitizeUpstreamText(out, 1000);
  }
  return std::string();
}

absl::Status AppendOutputs(const rapidjson::Value& outputs,
                           std::vector<OutputFile>* files) {
  if (!outputs.IsObject()) {
    return absl::InvalidArgumentError("field 'outputs' must be an object");
  }
  for (const auto& node : outputs.GetObject()) {
    std::string node_id(node.name.GetString(), node.name.GetStringLength());
    if (!node.value.IsObject()) {
      return absl::InvalidArgumentError(
          absl::StrCat("output of node ", node_id, " must be an object"));
    }
    for (absl::string_view kind : {"images", "gifs", "videos"}) {
      const rapidjson::Value* list = json::Find(node.value, kind);
      if (list == nullptr) continue;
      if (!list->IsArray()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "field '", kind, "' of node ", node_id, " must be an array"));
      }
      for (const rapidjson::Value& item : list->GetArray()) {
        if (!item.IsObject()) {
          return absl::InvalidArgumentError(
              absl::StrCat("entry of '", kind, "' must be an object"));
        }
        OutputFile f;
        f.node = node_id;
        MG_ASSIGN_OR_RETURN(f.filename, json::GetString(item, "filename"));
        MG_ASSIGN_OR_RETURN(auto sub, json::GetOptString(item, "subfolder"));
        MG_ASSIGN_OR_RETURN(auto type, json::GetOptString(item, "type"));
        MG_ASSIGN_OR_RETURN(auto format, json::GetOptString(item, "format"));
        if (f.filename.empty()) {
          return absl::InvalidArgumentError("empty output filename");
        }
        f.subfolder = sub.value_or("");
        f.type = type.value_or("output");
        f.format = format.value_or("");
        files->push_back(std::move(f));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> QueueIds(const rapidjson::Value& root,
                                                  absl::string_view name) {
  MG_ASSIGN_OR_RETURN(const rapidjson::Value* list, json::GetArray(root, name));
  std::vector<std::string> ids;
  for (const rapidjson::Value& item : list->GetArray()) {
    if (!item.IsArray() || item.Size() < 2 || !item[1].IsString()) {
      return absl::InvalidArgumentError(
          absl::StrCat("entry of '", name, "' must be [number, prompt_id, ...]"));
    }
    ids.emplace_back(item[1].GetString(), item[1].GetStringLength());
  }
  return ids;
}

bool Contains(const std::vector<std::string>& ids, absl::string_view id) {
  for (const std::string& s : ids) {
    if (s == id) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<WorkflowTemplate> WorkflowTemplate::Parse(
    absl::string_view name, absl::string_view text) {
  auto doc = json::ParseObject(text);
  if (!doc.ok()) return TemplateError(name, doc.status().message());
  auto workflow = json::GetObject(*doc, "workflow");
  if (!workflow.ok()) return TemplateError(name, workflow.status().message());
  if ((*workflow)->ObjectEmpty()) return TemplateError(name, "empty workflow");
  for (const auto& node : (*workflow)->GetObject()) {
    if (!node.value.IsObject() || !json::GetString(node.value, "class_type").ok() ||
        !json::GetObject(node.value, "inputs").ok()) {
      return TemplateError(
          name, absl::StrCat("node '", node.name.GetString(),
                             "' needs a class_type string and an inputs object"));
    }
  }
  auto slots = json::GetObject(*doc, "slots");
  if (!slots.ok()) return TemplateError(name, slots.status().message());

  WorkflowTemplate t;
  t.name_ = std::string(name);
  for (const auto& slot : (*slots)->GetObject()) {
    std::string slot_name(slot.name.GetString(), slot.name.GetStringLength());
    if (slot_name == "model") slot_name = "ckpt";
    if (!IsKnownSlot(slot_name)) {
      return TemplateError(name, absl::StrCat("unknown slot '", slot_name, "'"));
    }
    auto targets = ParseSlotTargets(**workflow, slot_name, slot.value);
    if (!targets.ok()) return TemplateError(name, targets.status().message());
    t.slots_[slot_name] = *std::move(targets);
  }
  if (!t.HasSlot("prompt")) return TemplateError(name, "no 'prompt' slot");
  t.workflow_json_ = json::Serialize(**workflow);
  return t;
}

bool WorkflowTemplate::HasSlot(absl::string_view slot) const {
  return slots_.find(slot) != slots_.end();
}

const std::vector<SlotTarget>& WorkflowTemplate::Targets(
    absl::string_view slot) const {
  static const std::vector<SlotTarget>* const kNone =
      new std::vector<SlotTarget>();
  auto it = slots_.find(slot);
  return it == slots_.end() ? *kNone : it->second;
}

absl::StatusOr<std::string> RenderWorkflow(
    const WorkflowTemplate& tmpl,
    const mediagw::v1::SubmitImageRequest& request, absl::string_view image) {
  if (tmpl.HasSlot("image") && image.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("workflow '", tmpl.name(), "' needs an input image"));
  }
  if (!tmpl.HasSlot("image") && !image.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("workflow '", tmpl.name(), "' takes no input image"));
  }
  if (request.has_n() && request.n() > 1 && !tmpl.HasSlot("batch")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "workflow '", tmpl.name(), "' makes one image per task (n must be 1)"));
  }
  auto parsed = json::ParseObject(tmpl.workflow_json());
  if (!parsed.ok()) return absl::InternalError(parsed.status().message());
  rapidjson::Document doc = *std::move(parsed);

  MG_RETURN_IF_ERROR(SetStringSlot(tmpl, doc, "prompt", request.prompt()));
  if (!request.negative_prompt().empty()) {
    MG_RETURN_IF_ERROR(
        SetStringSlot(tmpl, doc, "negative", request.negative_prompt()));
  }
  if (request.has_seed()) {
    if (request.seed() < 0) {
      return absl::InvalidArgumentError("seed must be resolved (>= 0)");
    }
    MG_RETURN_IF_ERROR(SetIntSlot(tmpl, doc, "seed", request.seed()));
  }
  if (request.has_width()) {
    MG_RETURN_IF_ERROR(SetIntSlot(tmpl, doc, "width", request.width()));
  }
  if (request.has_height()) {
    MG_RETURN_IF_ERROR(SetIntSlot(tmpl, doc, "height", request.height()));
  }
  if (request.has_steps()) {
    MG_RETURN_IF_ERROR(SetIntSlot(tmpl, doc, "steps", request.steps()));
  }
  if (request.has_cfg()) {
    rapidjson::Value v(request.cfg());
    MG_RETURN_IF_ERROR(SetSlot(tmpl, doc, "cfg", v));
  }
  if (!request.model().empty()) {
    MG_RETURN_IF_ERROR(SetStringSlot(tmpl, doc, "ckpt", request.model()));
  }
  if (request.has_n()) {
    MG_RETURN_IF_ERROR(SetIntSlot(tmpl, doc, "batch", request.n()));
  }
  if (!image.empty()) {
    MG_RETURN_IF_ERROR(SetStringSlot(tmpl, doc, "image", std::string(image)));
  }
  return json::Serialize(doc);
}

absl::StatusOr<std::string> ValidateRawWorkflow(absl::string_view text) {
  auto doc = json::Parse(text);
  if (!doc.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("workflow_json: ", doc.status().message()));
  }
  if (!doc->IsObject()) {
    return absl::InvalidArgumentError(
        "workflow_json must be a JSON object in ComfyUI API format");
  }
  return std::string(text);
}

std::string BuildPromptBody(absl::string_view workflow_json,
                            absl::string_view client_id,
                            absl::string_view prompt_id) {
  // Concatenation keeps a passed-through workflow byte for byte.
  return absl::StrCat("{\"prompt\":", workflow_json,
                      ",\"client_id\":", json::Quote(client_id),
                      ",\"prompt_id\":", json::Quote(prompt_id), "}");
}

absl::StatusOr<std::string> ParsePromptResponse(int http_status,
                                                absl::string_view body) {
  if (http_status >= 200 && http_status < 300) {
    auto doc = json::ParseObject(body, json::Utf8Policy::kRepair);
    if (!doc.ok()) return Malformed("POST /prompt", doc.status());
    auto id = json::GetString(*doc, "prompt_id");
    if (!id.ok()) return Malformed("POST /prompt", id.status());
    if (id->empty()) {
      return Malformed("POST /prompt", absl::InvalidArgumentError("empty prompt_id"));
    }
    return *std::move(id);
  }
  if (http_status == 400) {
    auto doc = json::ParseObject(body, json::Utf8Policy::kRepair);
    const rapidjson::Value* error = doc.ok() ? json::Find(*doc, "error") : nullptr;
    if (error != nullptr) {
      std::string msg = "comfyui rejected the workflow";
      if (error->IsString()) {
        absl::StrAppend(&msg, ": ", error->GetString());
      } else if (error->IsObject()) {
        auto m = json::GetOptString(*error, "message");
        auto d = json::GetOptString(*error, "details");
        if (m.ok() && m->has_value()) absl::StrAppend(&msg, ": ", **m);
        if (d.ok() && d->has_value() && !(*d)->empty()) {
          absl::StrAppend(&msg, ": ", **d);
        }
      }
      const rapidjson::Value* node_errors = json::Find(*doc, "node_errors");
      if (node_errors != nullptr) {
        std::string summary =
            SanitizeUpstreamText(SummarizeNodeErrors(*node_errors), 1000);
        if (!summary.empty()) absl::StrAppend(&msg, " [", summary, "]");
      }
      return absl::InvalidArgumentError(msg);
    }
  }
  return UpstreamHttpToStatus(http_status, kProvider, SanitizeUpstreamText(body, 200));
}

absl::StatusOr<HistoryEntry> ParseHistory(absl::string_view body,
                                          absl::string_view prompt_id) {
  constexpr absl::string_view kWhat = "GET /history";
  auto doc = json::ParseObject(body, json::Utf8Policy::kRepair);
  if (!doc.ok()) return Malformed(kWhat, doc.status());
  HistoryEntry entry;
  const rapidjson::Value* run = json::Find(*doc, prompt_id);
  if (run == nullptr) return entry;
  if (!run->IsObject()) {
    return Malformed(kWhat, absl::InvalidArgumentError("entry must be an object"));
  }
  const rapidjson::Value* status = json::Find(*run, "status");
  const rapidjson::Value* outputs = json::Find(*run, "outputs");
  std::optional<std::string> status_str;
  if (status != nullptr && !status->IsNull()) {
    if (!status->IsObject()) {
      return Malformed(kWhat, absl::InvalidArgumentError("status must be an object"));
    }
    auto s = json::GetOptString(*status, "status_str");
    if (!s.ok()) return Malformed(kWhat, s.status());
    status_str = *s;
  } else if (outputs != nullptr) {
    // Servers older than the status field only record finished runs.
    status_str = "success";
  }

  if (status_str == "success") {
    if (outputs != nullptr) {
      absl::Status st = AppendOutputs(*outputs, &entry.outputs);
      if (!st.ok()) return Malformed(kWhat, st);
    }
    std::vector<OutputFile> saved;
    for (const OutputFile& f : entry.outputs) {
      if (f.type == "output") saved.push_back(f);
    }
    if (!saved.empty()) entry.outputs = std::move(saved);
    entry.status = HistoryEntry::Status::kSucceeded;
    return entry;
  }
  if (status_str == "error") {
    entry.status = HistoryEntry::Status::kFailed;
    const rapidjson::Value* messages = json::Find(*status, "messages");
    if (messages != nullptr) {
      auto text = ExecutionError(*messages, &entry.interrupted);
      if (!text.ok()) return Malformed(kWhat, text.status());
      entry.error_message = *std::move(text);
    }
    if (entry.error_message.empty()) entry.error_message = "execution failed";
    return entry;
  }
  entry.status = HistoryEntry::Status::kRunning;
  return entry;
}

bool QueueSnapshot::IsRunning(absl::string_view id) const {
  return Contains(running, id);
}

bool QueueSnapshot::IsPending(absl::string_view id) const {
  return Contains(pending, id);
}

absl::StatusOr<QueueSnapshot> ParseQueue(absl::string_view body) {
  constexpr absl::string_view kWhat = "GET /queue";
  auto doc = json::ParseObject(body, json::Utf8Policy::kRepair);
  if (!doc.ok()) return Malformed(kWhat, doc.status());
  QueueSnapshot q;
  auto running = QueueIds(*doc, "queue_running");
  if (!running.ok()) return Malformed(kWhat, running.status());
  auto pending = QueueIds(*doc, "queue_pending");
  if (!pending.ok()) return Malformed(kWhat, pending.status());
  q.running = *std::move(running);
  q.pending = *std::move(pending);
  return q;
}

std::string BuildDeleteBody(absl::string_view prompt_id) {
  return absl::StrCat("{\"delete\":[", json::Quote(prompt_id), "]}");
}

std::string BuildInterruptBody(absl::string_view prompt_id) {
  return absl::StrCat("{\"prompt_id\":", json::Quote(prompt_id), "}");
}

std::string UrlEncode(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string ViewUrl(absl::string_view server, const OutputFile& file) {
  return absl::StrCat(server, "/view?filename=", UrlEncode(file.filename),
                      "&subfolder=", UrlEncode(file.subfolder),
                      "&type=", UrlEncode(file.type));
}

std::string MimeTypeForFilename(absl::string_view filename) {
  size_t dot = filename.rfind('.');
  if (dot == absl::string_view::npos) return "application/octet-stream";
  std::string ext = absl::AsciiStrToLower(filename.substr(dot + 1));
  static constexpr std::pair<absl::string_view, absl::string_view> kTypes[] = {
      {"png", "image/png"},   {"jpg", "image/jpeg"},  {"jpeg", "image/jpeg"},
      {"webp", "image/webp"}, {"gif", "image/gif"},   {"mp4", "video/mp4"},
      {"webm", "video/webm"}, {"mov", "video/quicktime"},
      {"mkv", "video/x-matroska"}};
  for (const auto& [e, mime] : kTypes) {
    if (ext == e) return std::string(mime);
  }
  return "application/octet-stream";
}

std::string MimeTypeForOutput(const OutputFile& file) {
  std::string mime = MimeTypeForFilename(file.filename);
  if (mime != "application/octet-stream") return mime;
  const std::string format = absl::AsciiStrToLower(file.format);
  if (absl::StartsWith(format, "image/")) return format;
  if (!absl::StartsWith(format, "video/")) return mime;
  // VHS names formats "video/<codec>-<container>".
  if (absl::EndsWith(format, "mp4")) return "video/mp4";
  if (absl::EndsWith(format, "webm")) return "video/webm";
  if (absl::EndsWith(format, "mkv")) return "video/x-matroska";
  if (absl::EndsWith(format, "mov") || absl::EndsWith(format, "prores")) {
    return "video/quicktime";
  }
  return mime;
}

std::string BuildProviderState(absl::string_view server) {
  return absl::StrCat("{\"server\":", json::Quote(server), "}");
}

absl::StatusOr<std::string> ParseProviderState(absl::string_view state) {
  if (state.empty()) return std::string();
  auto doc = json::ParseObject(state);
  if (!doc.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("comfyui provider_state: ", doc.status().message()));
  }
  auto server = json::GetString(*doc, "server");
  if (!server.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("comfyui provider_state: ", server.status().message()));
  }
  return *std::move(server);
}

absl::StatusOr<WsEvent> ParseWsMessage(absl::string_view text) {
  MG_ASSIGN_OR_RETURN(rapidjson::Document doc, json::ParseObject(text));
  MG_ASSIGN_OR_RETURN(std::string type, json::GetString(doc, "type"));
  WsEvent ev;
  const bool hint_type = type == "execution_start" ||
                         type == "execution_success" ||
                         type == "execution_error" ||
                         type == "execution_interrupted";
  if (type != "progress" && type != "executing" && !hint_type) return ev;

  MG_ASSIGN_OR_RETURN(const rapidjson::Value* data, json::GetObject(doc, "data"));
  MG_ASSIGN_OR_RETURN(auto prompt_id, json::GetOptString(*data, "prompt_id"));
  if (type == "progress") {
    MG_ASSIGN_OR_RETURN(double value, json::GetDouble(*data, "value"));
    MG_ASSIGN_OR_RETURN(double max, json::GetDouble(*data, "max"));
    if (!prompt_id.has_value()) return ev;
    ev.kind = WsEvent::Kind::kProgress;
    ev.prompt_id = *std::move(prompt_id);
    ev.value = value;
    ev.max = max;
    return ev;
  }
  if (type == "executing") {
    const rapidjson::Value* node = json::Find(*data, "node");
    if (node != nullptr && !node->IsNull() && !node->IsString()) {
      return absl::InvalidArgumentError("field 'node' must be a string or null");
    }
    // A non-null node is a step inside the run: nothing to poll for.
    if (node != nullptr && node->IsString()) return ev;
  }
  if (!prompt_id.has_value()) return ev;
  ev.kind = WsEvent::Kind::kHint;
  ev.prompt_id = *std::move(prompt_id);
  return ev;
}

}  // namespace mediagw::comfyui
