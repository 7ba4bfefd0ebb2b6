#include "tools/sim/comfy_codec.h"

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "tools/sim/comfy_nodes.h"

namespace mediagw::sim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void Raw(Writer& w, absl::string_view json, rapidjson::Type type) {
  w.RawValue(json.data(), json.size(), type);
}

void EmptyObject(Writer& w) {
  w.StartObject();
  w.EndObject();
}

// Most messages are {"type": t, "data": {...}}; `fill` writes data members.
template <typename Fill>
std::string Message(absl::string_view type, Fill fill) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("type");
  Str(w, type);
  w.Key("data");
  w.StartObject();
  fill(w);
  w.EndObject();
  w.EndObject();
  return sb.GetString();
}

absl::string_view OutputKey(OutputKind kind) {
  return kind == OutputKind::kVideo ? "gifs" : "images";
}

void WriteFiles(Writer& w, const NodeOutput& out) {
  w.StartObject();
  w.Key(OutputKey(out.kind).data());
  w.StartArray();
  for (const FileRef& f : out.files) {
    w.StartObject();
    w.Key("filename");
    Str(w, f.filename);
    w.Key("subfolder");
    Str(w, f.subfolder);
    w.Key("type");
    Str(w, f.type);
    if (out.kind == OutputKind::kVideo) {
      w.Key("format");
      Str(w, f.format);
      w.Key("frame_rate");
      w.Double(f.frame_rate);
    }
    w.EndObject();
  }
  w.EndArray();
  if (IsVideoOutput(out.kind)) {
    w.Key("animated");
    w.StartArray();
    w.Bool(true);
    w.EndArray();
  }
  w.EndObject();
}

void WriteQueueItem(Writer& w, const JobRecord& job) {
  w.StartArray();
  w.Int64(job.number);
  Str(w, job.prompt_id);
  Raw(w, job.prompt_json, rapidjson::kObjectType);
  Raw(w, job.extra_data_json, rapidjson::kObjectType);
  w.StartArray();
  for (const std::string& id : job.output_node_ids) Str(w, id);
  w.EndArray();
  w.EndArray();
}

void WriteStringArray(Writer& w, const std::vector<std::string>& v) {
  w.StartArray();
  for (const std::string& s : v) Str(w, s);
  w.EndArray();
}

void WriteErrorFields(Writer& w, const JobRecord& job, int64_t ms) {
  w.Key("prompt_id");
  Str(w, job.prompt_id);
  w.Key("node_id");
  Str(w, job.failed_node_id);
  w.Key("node_type");
  Str(w, job.failed_node_type);
  w.Key("executed");
  WriteStringArray(w, job.executed_nodes);
  if (job.outcome == JobRecord::Outcome::kError) {
    w.Key("exception_message");
    Str(w, job.exception_message);
    w.Key("exception_type");
    Str(w, job.exception_type);
    w.Key("traceback");
    w.StartArray();
    w.EndArray();
    w.Key("current_inputs");
    EmptyObject(w);
    w.Key("current_outputs");
    EmptyObject(w);
  }
  w.Key("timestamp");
  w.Int64(ms);
}

void WriteTimestamped(Writer& w, absl::string_view prompt_id, int64_t ms) {
  w.Key("prompt_id");
  Str(w, prompt_id);
  w.Key("timestamp");
  w.Int64(ms);
}

void WriteHistoryEntry(Writer& w, const JobRecord& job) {
  w.StartObject();
  w.Key("prompt");
  WriteQueueItem(w, job);
  w.Key("outputs");
  w.StartObject();
  for (const NodeOutput& out : job.outputs) {
    Str(w, out.node_id);
    WriteFiles(w, out);
  }
  w.EndObject();
  const bool ok = job.outcome == JobRecord::Outcome::kSuccess;
  w.Key("status");
  w.StartObject();
  w.Key("status_str");
  Str(w, ok ? "success" : "error");
  w.Key("completed");
  w.Bool(ok);
  w.Key("messages");
  w.StartArray();
  w.StartArray();
  Str(w, "execution_start");
  w.StartObject();
  WriteTimestamped(w, job.prompt_id, job.start_ms);
  w.EndObject();
  w.EndArray();
  w.StartArray();
  Str(w, "execution_cached");
  w.StartObject();
  w.Key("nodes");
  w.StartArray();
  w.EndArray();
  WriteTimestamped(w, job.prompt_id, job.start_ms);
  w.EndObject();
  w.EndArray();
  w.StartArray();
  switch (job.outcome) {
    case JobRecord::Outcome::kSuccess:
      Str(w, "execution_success");
      w.StartObject();
      WriteTimestamped(w, job.prompt_id, job.end_ms);
      w.EndObject();
      break;
    case JobRecord::Outcome::kError:
    case JobRecord::Outcome::kInterrupted:
      Str(w, job.outcome == JobRecord::Outcome::kError
                 ? "execution_error"
                 : "execution_interrupted");
      w.StartObject();
      WriteErrorFields(w, job, job.end_ms);
      w.EndObject();
      break;
  }
  w.EndArray();
  w.EndArray();
  w.EndObject();
  w.Key("meta");
  w.StartObject();
  for (const NodeOutput& out : job.outputs) {
    Str(w, out.node_id);
    w.StartObject();
    w.Key("node_id");
    Str(w, out.node_id);
    w.Key("display_node");
    Str(w, out.node_id);
    w.Key("parent_node");
    w.Null();
    w.Key("real_node_id");
    Str(w, out.node_id);
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
}

void WriteInputSpec(Writer& w, const InputSpec& in) {
  Str(w, in.name);
  w.StartArray();
  if (in.kind == InputSpec::Kind::kCombo) {
    WriteStringArray(w, in.choices);
  } else {
    Str(w, in.type);
  }
  if (in.kind == InputSpec::Kind::kInt || in.kind == InputSpec::Kind::kFloat) {
    w.StartObject();
    w.Key("min");
    w.Double(in.min);
    w.Key("max");
    w.Double(in.max);
    w.EndObject();
  }
  w.EndArray();
}

void WriteNodeSpec(Writer& w, const NodeSpec& spec) {
  Str(w, spec.class_type);
  w.StartObject();
  w.Key("input");
  w.StartObject();
  w.Key("required");
  w.StartObject();
  for (const InputSpec& in : spec.required) WriteInputSpec(w, in);
  w.EndObject();
  w.Key("optional");
  w.StartObject();
  for (const InputSpec& in : spec.optional) WriteInputSpec(w, in);
  w.EndObject();
  w.EndObject();
  w.Key("input_order");
  w.StartObject();
  w.Key("required");
  w.StartArray();
  for (const InputSpec& in : spec.required) Str(w, in.name);
  w.EndArray();
  w.EndObject();
  w.Key("output");
  WriteStringArray(w, spec.outputs);
  w.Key("output_is_list");
  w.StartArray();
  for (size_t i = 0; i < spec.outputs.size(); ++i) w.Bool(false);
  w.EndArray();
  w.Key("output_name");
  WriteStringArray(w, spec.outputs);
  w.Key("name");
  Str(w, spec.class_type);
  w.Key("display_name");
  Str(w, spec.class_type);
  w.Key("description");
  Str(w, "");
  w.Key("python_module");
  Str(w, "nodes");
  w.Key("category");
  Str(w, spec.category);
  w.Key("output_node");
  w.Bool(spec.is_output);
  w.EndObject();
}

absl::StatusOr<std::vector<std::string>> StringList(
    const rapidjson::Value& obj, absl::string_view name) {
  std::vector<std::string> out;
  const rapidjson::Value* v = json::Find(obj, name);
  if (v == nullptr || v->IsNull()) return out;
  if (!v->IsArray()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field '", name, "' must be an array"));
  }
  for (const rapidjson::Value& item : v->GetArray()) {
    absl::StatusOr<std::string> s = json::AsString(item, name);
    if (!s.ok()) return s.status();
    out.push_back(*std::move(s));
  }
  return out;
}

}  // namespace

std::string PromptAcceptedJson(absl::string_view prompt_id, int64_t number) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("prompt_id");
  Str(w, prompt_id);
  w.Key("number");
  w.Int64(number);
  w.Key("node_errors");
  EmptyObject(w);
  w.EndObject();
  return sb.GetString();
}

std::string PromptInfoJson(int queue_remaining) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("exec_info");
  w.StartObject();
  w.Key("queue_remaining");
  w.Int(queue_remaining);
  w.EndObject();
  w.EndObject();
  return sb.GetString();
}

std::string QueueJson(const std::vector<JobRecord>& running,
                      const std::vector<JobRecord>& pending) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("queue_running");
  w.StartArray();
  for (const JobRecord& job : running) WriteQueueItem(w, job);
  w.EndArray();
  w.Key("queue_pending");
  w.StartArray();
  for (const JobRecord& job : pending) WriteQueueItem(w, job);
  w.EndArray();
  w.EndObject();
  return sb.GetString();
}

std::string HistoryJson(const std::vector<JobRecord>& finished) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  for (const JobRecord& job : finished) {
    Str(w, job.prompt_id);
    WriteHistoryEntry(w, job);
  }
  w.EndObject();
  return sb.GetString();
}

std::string SystemStatsJson() {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("system");
  w.StartObject();
  w.Key("os");
  Str(w, "posix");
  w.Key("ram_total");
  w.Int64(int64_t{16} << 30);
  w.Key("ram_free");
  w.Int64(int64_t{8} << 30);
  w.Key("comfyui_version");
  Str(w, "0.3.40");
  w.Key("python_version");
  Str(w, "3.11.0 (mediagw-sim)");
  w.Key("pytorch_version");
  Str(w, "none");
  w.Key("embedded_python");
  w.Bool(false);
  w.Key("argv");
  w.StartArray();
  Str(w, "mediagw-sim");
  w.EndArray();
  w.EndObject();
  w.Key("devices");
  w.StartArray();
  w.StartObject();
  w.Key("name");
  Str(w, "sim:0 (simulated)");
  w.Key("type");
  Str(w, "cpu");
  w.Key("index");
  w.Int(0);
  w.Key("vram_total");
  w.Int64(int64_t{24} << 30);
  w.Key("vram_free");
  w.Int64(int64_t{24} << 30);
  w.Key("torch_vram_total");
  w.Int64(0);
  w.Key("torch_vram_free");
  w.Int64(0);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return sb.GetString();
}

std::string ObjectInfoJson(std::optional<absl::string_view> class_type) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  for (const NodeSpec& spec : AllNodeSpecs()) {
    if (class_type.has_value() && *class_type != spec.class_type) continue;
    WriteNodeSpec(w, spec);
  }
  w.EndObject();
  return sb.GetString();
}

std::string UploadResultJson(absl::string_view name,
                             absl::string_view subfolder,
                             absl::string_view type) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("name");
  Str(w, name);
  w.Key("subfolder");
  Str(w, subfolder);
  w.Key("type");
  Str(w, type);
  w.EndObject();
  return sb.GetString();
}

std::string PlainErrorJson(absl::string_view message) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("error");
  Str(w, message);
  w.EndObject();
  return sb.GetString();
}

std::string StatusMessage(int queue_remaining,
                          std::optional<absl::string_view> sid) {
  return Message("status", [&](Writer& w) {
    w.Key("status");
    w.StartObject();
    w.Key("exec_info");
    w.StartObject();
    w.Key("queue_remaining");
    w.Int(queue_remaining);
    w.EndObject();
    w.EndObject();
    if (sid.has_value()) {
      w.Key("sid");
      Str(w, *sid);
    }
  });
}

std::string ExecutionStartMessage(absl::string_view prompt_id, int64_t ms) {
  return Message("execution_start",
                 [&](Writer& w) { WriteTimestamped(w, prompt_id, ms); });
}

std::string ExecutionCachedMessage(absl::string_view prompt_id, int64_t ms) {
  return Message("execution_cached", [&](Writer& w) {
    w.Key("nodes");
    w.StartArray();
    w.EndArray();
    WriteTimestamped(w, prompt_id, ms);
  });
}

std::string ExecutingMessage(std::optional<absl::string_view> node,
                             absl::string_view prompt_id) {
  return Message("executing", [&](Writer& w) {
    w.Key("node");
    if (node.has_value()) {
      Str(w, *node);
      w.Key("display_node");
      Str(w, *node);
    } else {
      w.Null();
    }
    w.Key("prompt_id");
    Str(w, prompt_id);
  });
}

std::string ProgressMessage(int value, int max, absl::string_view prompt_id,
                            absl::string_view node) {
  return Message("progress", [&](Writer& w) {
    w.Key("value");
    w.Int(value);
    w.Key("max");
    w.Int(max);
    w.Key("prompt_id");
    Str(w, prompt_id);
    w.Key("node");
    Str(w, node);
  });
}

std::string ExecutedMessage(const NodeOutput& output,
                            absl::string_view prompt_id) {
  return Message("executed", [&](Writer& w) {
    w.Key("node");
    Str(w, output.node_id);
    w.Key("display_node");
    Str(w, output.node_id);
    w.Key("output");
    WriteFiles(w, output);
    w.Key("prompt_id");
    Str(w, prompt_id);
  });
}

std::string ExecutionSuccessMessage(absl::string_view prompt_id, int64_t ms) {
  return Message("execution_success",
                 [&](Writer& w) { WriteTimestamped(w, prompt_id, ms); });
}

std::string ExecutionErrorMessage(const JobRecord& job) {
  return Message("execution_error",
                 [&](Writer& w) { WriteErrorFields(w, job, job.end_ms); });
}

std::string ExecutionInterruptedMessage(const JobRecord& job) {
  return Message("execution_interrupted",
                 [&](Writer& w) { WriteErrorFields(w, job, job.end_ms); });
}

absl::StatusOr<QueueAction> ParseQueueAction(absl::string_view body) {
  absl::StatusOr<rapidjson::Document> doc = json::ParseObject(body);
  if (!doc.ok()) return doc.status();
  QueueAction action;
  absl::StatusOr<std::optional<bool>> clear = json::GetOptBool(*doc, "clear");
  if (!clear.ok()) return clear.status();
  action.clear = clear->value_or(false);
  absl::StatusOr<std::vector<std::string>> ids = StringList(*doc, "delete");
  if (!ids.ok()) return ids.status();
  action.delete_ids = *std::move(ids);
  return action;
}

absl::StatusOr<QueueAction> ParseHistoryAction(absl::string_view body) {
  return ParseQueueAction(body);
}

absl::StatusOr<std::optional<std::string>> ParseInterrupt(
    absl::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == absl::string_view::npos) {
    return std::optional<std::string>();
  }
  absl::StatusOr<rapidjson::Document> doc = json::ParseObject(body);
  if (!doc.ok()) return doc.status();
  return json::GetOptString(*doc, "prompt_id");
}

}  // namespace mediagw::sim
