#include "tools/sim/control_codec.h"

#include "common/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mediagw::sim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

absl::StatusOr<FaultSpec> ParseFaultRequest(absl::string_view body) {
  absl::StatusOr<rapidjson::Document> doc = json::ParseObject(body);
  if (!doc.ok()) return doc.status();
  absl::StatusOr<std::string> mode_name = json::GetString(*doc, "mode");
  if (!mode_name.ok()) return mode_name.status();
  absl::StatusOr<FaultMode> mode = FaultModeFromName(*mode_name);
  if (!mode.ok()) return mode.status();
  FaultSpec spec;
  spec.mode = *mode;
  if (spec.mode == FaultMode::kRejectPrompt) spec.path_prefix = "/prompt";

  absl::StatusOr<std::optional<int64_t>> count = json::GetOptInt(*doc, "count");
  if (!count.ok()) return count.status();
  if (count->has_value()) {
    if (**count < 1 || **count > 1000000) {
      return absl::InvalidArgumentError("field 'count' must be in [1, 1000000]");
    }
    spec.count = static_cast<int>(**count);
  }
  absl::StatusOr<std::optional<std::string>> prefix =
      json::GetOptString(*doc, "path_prefix");
  if (!prefix.ok()) return prefix.status();
  if (prefix->has_value()) spec.path_prefix = **prefix;
  absl::StatusOr<std::optional<int64_t>> slow =
      json::GetOptInt(*doc, "slow_ms");
  if (!slow.ok()) return slow.status();
  if (slow->has_value()) {
    if (**slow < 0 || **slow > 60000) {
      return absl::InvalidArgumentError("field 'slow_ms' must be in [0, 60000]");
    }
    spec.slow_ms = static_cast<int>(**slow);
  }
  absl::StatusOr<std::optional<int64_t>> status =
      json::GetOptInt(*doc, "status");
  if (!status.ok()) return status.status();
  if (status->has_value()) {
    if (**status < 400 || **status > 599) {
      return absl::InvalidArgumentError("field 'status' must be in [400, 599]");
    }
    spec.status = static_cast<int>(**status);
  } else if (spec.mode == FaultMode::kHttpStatus) {
    return absl::InvalidArgumentError("mode 'http_status' needs field 'status'");
  }
  return spec;
}

std::string StatsJson(const SimStats& stats) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("requests");
  w.StartObject();
  for (const auto& [path, n] : stats.requests_by_path) {
    Str(w, path);
    w.Int64(n);
  }
  w.EndObject();
  w.Key("jobs_submitted");
  w.Int64(stats.jobs_submitted);
  w.Key("prompt_ids");
  w.StartArray();
  for (const std::string& id : stats.prompt_ids) Str(w, id);
  w.EndArray();
  w.Key("faults_fired");
  w.StartObject();
  for (const auto& [mode, n] : stats.faults_fired) {
    Str(w, mode);
    w.Int64(n);
  }
  w.EndObject();
  w.Key("faults_pending");
  w.Int64(stats.faults_pending);
  w.Key("submits_uncounted");
  w.Int64(stats.submits_uncounted);
  w.EndObject();
  return sb.GetString();
}

std::string SubmitsJson(const std::map<std::string, int64_t>& submits) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  for (const auto& [key, n] : submits) {
    Str(w, key);
    w.Int64(n);
  }
  w.EndObject();
  return sb.GetString();
}

std::string FaultAcceptedJson(int64_t faults_pending) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  w.Key("faults_pending");
  w.Int64(faults_pending);
  w.EndObject();
  return sb.GetString();
}

}  // namespace mediagw::sim
