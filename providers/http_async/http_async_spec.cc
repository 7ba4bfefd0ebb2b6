#include "providers/http_async/http_async_spec.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"

namespace mediagw::http_async {
namespace {

class Checker {
 public:
  explicit Checker(const std::string& channel)
      : prefix_(absl::StrCat("config: channel '", channel, "'.")) {}

  absl::Status Bad(absl::string_view field, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(prefix_, field, ": ", what));
  }

  // A call template; `field` is e.g. "submit".
  absl::StatusOr<CallTemplate> Call(absl::string_view field,
                                    const config::HttpCall& call,
                                    absl::string_view default_method,
                                    bool allow_id) const {
    CallTemplate::Source source;
    source.method = call.method();
    source.path = call.path();
    source.headers.assign(call.headers().begin(), call.headers().end());
    std::sort(source.headers.begin(), source.headers.end());
    if (call.has_body() &&
        call.body().kind_case() != google::protobuf::Value::kNullValue) {
      auto st = google::protobuf::util::MessageToJsonString(call.body(),
                                                            &source.body_json);
      if (!st.ok()) {
        return Bad(absl::StrCat("http_async.", field, ".body"),
                   std::string(st.message()));
      }
    }
    auto compiled = CallTemplate::Compile(absl::StrCat("http_async.", field),
                                          source, default_method, allow_id);
    if (!compiled.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix_, compiled.status().message()));
    }
    return compiled;
  }

  absl::Status Pointer(absl::string_view field, const std::string& pointer,
                       bool required) const {
    if (pointer.empty()) {
      return required ? Bad(absl::StrCat("http_async.", field), "is required")
                      : absl::OkStatus();
    }
    absl::Status st = ValidatePointer(pointer);
    if (!st.ok()) return Bad(absl::StrCat("http_async.", field), st.message());
    return absl::OkStatus();
  }

 private:
  std::string prefix_;
};

absl::StatusOr<UpstreamState> StateFromName(absl::string_view name) {
  if (name == "queued") return UpstreamState::kQueued;
  if (name == "running") return UpstreamState::kRunning;
  if (name == "succeeded") return UpstreamState::kSucceeded;
  if (name == "failed") return UpstreamState::kFailed;
  return absl::InvalidArgumentError(absl::StrCat(
      "'", name, "' is not one of queued, running, succeeded, failed"));
}

}  // namespace

absl::StatusOr<Spec> CompileSpec(const config::Channel& channel,
                                 absl::Duration default_timeout,
                                 std::string api_key) {
  const Checker check(channel.name());
  const config::HttpAsyncSpec& in = channel.http_async();
  Spec spec;
  spec.channel = channel.name();
  spec.api_key = std::move(api_key);
  spec.request_timeout = channel.request_timeout_ms() > 0
                             ? absl::Milliseconds(channel.request_timeout_ms())
                             : default_timeout;
  for (std::string url : channel.base_urls()) {
    while (absl::EndsWith(url, "/")) url.pop_back();
    if (url.empty()) return check.Bad("base_urls", "empty URL");
    spec.base_urls.push_back(std::move(url));
  }
  if (spec.base_urls.empty()) {
    return check.Bad("base_urls", "at least one URL is required");
  }
  if (!channel.has_http_async()) return check.Bad("http_async", "is required");

  if (!in.has_submit()) return check.Bad("http_async.submit", "is required");
  MG_ASSIGN_OR_RETURN(spec.submit, check.Call("submit", in.submit(), "POST",
                                              /*allow_id=*/false));
  if (!in.has_poll()) return check.Bad("http_async.poll", "is required");
  MG_ASSIGN_OR_RETURN(spec.poll,
                      check.Call("poll", in.poll(), "GET", /*allow_id=*/true));
  if (in.has_cancel()) {
    MG_ASSIGN_OR_RETURN(spec.cancel, check.Call("cancel", in.cancel(), "POST",
                                                /*allow_id=*/true));
  }

  MG_RETURN_IF_ERROR(check.Pointer("id_pointer", in.id_pointer(), true));
  spec.id_pointer = in.id_pointer();
  MG_RETURN_IF_ERROR(check.Pointer("state_pointer", in.state_pointer(), true));
  spec.state_pointer = in.state_pointer();

  if (in.state_map().empty()) {
    return check.Bad("http_async.state_map", "is required");
  }
  bool has_success = false;
  for (const auto& [upstream, ours] : in.state_map()) {
    auto state = StateFromName(ours);
    if (!state.ok()) {
      return check.Bad(absl::StrCat("http_async.state_map[", upstream, "]"),
                       state.status().message());
    }
    has_success = has_success || *state == UpstreamState::kSucceeded;
    spec.state_map.emplace(upstream, *state);
  }
  if (!has_success) {
    return check.Bad("http_async.state_map",
                     "no upstream state maps to succeeded");
  }

  if (in.result_url_pointers().empty()) {
    return check.Bad("http_async.result_url_pointers",
                     "at least one pointer is required");
  }
  for (int i = 0; i < in.result_url_pointers_size(); ++i) {
    MG_RETURN_IF_ERROR(
        check.Pointer(absl::StrCat("result_url_pointers[", i, "]"),
                      in.result_url_pointers(i), true));
    spec.result_url_pointers.push_back(in.result_url_pointers(i));
  }

  MG_RETURN_IF_ERROR(check.Pointer("error_pointer", in.error_pointer(), false));
  if (!in.error_pointer().empty()) {
    spec.error_pointers.push_back(in.error_pointer());
  }
  for (int i = 0; i < in.error_fallback_pointers_size(); ++i) {
    MG_RETURN_IF_ERROR(
        check.Pointer(absl::StrCat("error_fallback_pointers[", i, "]"),
                      in.error_fallback_pointers(i), true));
    spec.error_pointers.push_back(in.error_fallback_pointers(i));
  }

  MG_RETURN_IF_ERROR(
      check.Pointer("progress_pointer", in.progress_pointer(), false));
  spec.progress_pointer = in.progress_pointer();
  if (!std::isfinite(in.progress_scale()) || in.progress_scale() < 0) {
    return check.Bad("http_async.progress_scale",
                     "must be a positive number (0 = 1)");
  }
  spec.progress_scale = in.progress_scale() > 0 ? in.progress_scale() : 1;

  MG_RETURN_IF_ERROR(
      check.Pointer("status_pointer", in.status_pointer(), false));
  spec.status_pointer = in.status_pointer();
  if (!in.status_pointer().empty() && in.status_ok().empty()) {
    return check.Bad("http_async.status_ok", "is required with status_pointer");
  }
  if (in.status_pointer().empty() &&
      (!in.status_ok().empty() || !in.status_not_found().empty() ||
       !in.status_message_pointer().empty())) {
    return check.Bad("http_async.status_pointer",
                     "is required with status_ok, status_not_found and "
                     "status_message_pointer");
  }
  spec.status_ok.assign(in.status_ok().begin(), in.status_ok().end());
  spec.status_not_found.assign(in.status_not_found().begin(),
                               in.status_not_found().end());
  MG_RETURN_IF_ERROR(check.Pointer("status_message_pointer",
                                   in.status_message_pointer(), false));
  spec.status_message_pointer = in.status_message_pointer();

  spec.needs_api_key = spec.submit.Uses("api_key") ||
                       spec.poll.Uses("api_key") ||
                       (spec.cancel && spec.cancel->Uses("api_key"));
  if (spec.needs_api_key && channel.api_key_env().empty()) {
    return check.Bad("api_key_env",
                     "is required: the http_async calls use {{api_key}}");
  }
  return spec;
}

SlotValues TaskSlots(const Spec& spec, const TaskRecord& record,
                     const SubmitContext& context) {
  const v1::SubmitImageRequest& req = record.request();
  SlotValues v;
  auto text = [&v](const char* slot, const std::string& value) {
    if (!value.empty()) v.emplace(slot, SlotValue::Text(value));
  };
  text("prompt", req.prompt().empty() ? record.video().prompt() : req.prompt());
  text("negative_prompt", req.negative_prompt());
  text("model", req.model().empty() ? record.video().model() : req.model());
  text("image_url", context.input_url);
  text("callback_url", context.callback_url);
  text("api_key", spec.api_key);
  text("task_id", record.task().id());
  text("id", record.upstream_id());
  if (req.has_width()) v.emplace("width", SlotValue::Int(req.width()));
  if (req.has_height()) v.emplace("height", SlotValue::Int(req.height()));
  if (req.has_steps()) v.emplace("steps", SlotValue::Int(req.steps()));
  if (req.has_n()) v.emplace("n", SlotValue::Int(req.n()));
  if (req.has_seed() && req.seed() >= 0) {
    v.emplace("seed", SlotValue::Int(req.seed()));
  } else if (record.video().has_seed() && record.video().seed() >= 0) {
    v.emplace("seed", SlotValue::Int(record.video().seed()));
  }
  if (req.has_cfg() && std::isfinite(req.cfg())) {
    v.emplace("cfg", SlotValue::Real(req.cfg()));
  }
  if (req.width() > 0 && req.height() > 0) {
    const int g = std::gcd(req.width(), req.height());
    v.emplace("aspect_ratio", SlotValue::Text(absl::StrCat(req.width() / g, ":",
                                                           req.height() / g)));
  }
  return v;
}

}  // namespace mediagw::http_async
