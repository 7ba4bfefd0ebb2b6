#include "tools/sim/jobapi_rr3_routes.h"

#include <cmath>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "tools/sim/jobapi_rr3_codec.h"
#include "tools/sim/sim_server.h"

namespace mediagw::sim {
namespace {

using net::ServerRequest;
using net::ServerResponse;

constexpr absl::string_view kTaskPath = "/api/v1/task/";
constexpr absl::string_view kCancelSuffix = "/cancel";
constexpr uint64_t kFirstTaskId = 1234567890;

ServerResponse Json(int status, std::string body) {
  ServerResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

// RR3 refuses with HTTP 200 and a body code.
ServerResponse Refuse(int code, absl::string_view msg) {
  return Json(200, Rr3ErrorJson(code, msg));
}

std::string StatusName(JobApiPhase phase) {
  switch (phase) {
    case JobApiPhase::kPending:
      return "PENDING";
    case JobApiPhase::kRunning:
      return "RUNNING";
    case JobApiPhase::kSucceeded:
      return "SUCCESS";
    case JobApiPhase::kFailed:
      return "FAILED";
    case JobApiPhase::kCancelled:
      return "CANCELLED";
  }
  return "FAILED";
}

}  // namespace

Rr3Routes::Rr3Routes(const SimOptions& options, FaultRegistry* faults)
    : api_key_(options.api_key),
      next_id_(kFirstTaskId),
      faults_(faults),
      backend_({options.start_delay, options.step_time}, options.max_history,
               faults) {}

ServerResponse Rr3Routes::ErrorResponse(int status,
                                        absl::string_view message) const {
  return Json(status, Rr3ErrorJson(status, message));
}

std::optional<ServerResponse> Rr3Routes::Route(
    const ServerRequest& request, absl::string_view path,
    const std::shared_ptr<net::ResponseWriter>& writer) {
  (void)writer;
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  if (absl::StartsWith(path, "/files/")) {
    if (!get) return ErrorResponse(405, "method not allowed");
    std::optional<JobApiFile> file = backend_.File(path.substr(7));
    if (!file.has_value()) return ErrorResponse(404, "file not found");
    ServerResponse r;
    r.content_type = file->content_type;
    r.body = std::move(file->bytes);
    return r;
  }
  const bool generate = path == "/api/v1/generate";
  const bool task = absl::StartsWith(path, kTaskPath);
  if (!generate && !task) return ErrorResponse(404, "no such route");
  absl::string_view id = task ? path.substr(kTaskPath.size()) : "";
  const bool cancel = task && absl::EndsWith(id, kCancelSuffix);
  if (cancel) id.remove_suffix(kCancelSuffix.size());
  if (task && (id.empty() || id.find('/') != absl::string_view::npos)) {
    return ErrorResponse(404, "no such route");
  }
  if ((generate || cancel) ? !post : !get) {
    return ErrorResponse(405, "method not allowed");
  }
  if (api_key_.empty() || request.Header("x-api-key") != api_key_) {
    return Refuse(401, "invalid api key");
  }
  if (generate) return Generate(request);
  return cancel ? CancelTask(id) : Task(request, id);
}

ServerResponse Rr3Routes::Generate(const ServerRequest& request) {
  if (!JobApiBackend::PublicBase(request, Prefix()).has_value()) {
    return Refuse(400, "a plain Host header is required");
  }
  absl::StatusOr<Rr3GenerateRequest> parsed = ParseRr3Generate(request.body);
  if (!parsed.ok()) return Refuse(400, parsed.status().message());
  JobApiParams params;
  params.prompt = parsed->prompt;
  params.width = parsed->width;
  params.height = parsed->height;
  params.steps = parsed->steps;
  params.seed = parsed->seed >= 0 ? parsed->seed : RandomSeed();
  params.count = parsed->batch_size;
  params.moderated = absl::StrContains(parsed->prompt, kModerationMarker);
  const uint64_t id = next_id_.fetch_add(1);
  faults_->CountSubmit("rr3", params.prompt);
  backend_.Start(absl::StrCat(id), std::move(params));
  return Json(200, Rr3AcceptedJson(id));
}

ServerResponse Rr3Routes::Task(const ServerRequest& request,
                               absl::string_view id) {
  uint64_t task_id = 0;
  if (!absl::SimpleAtoi(id, &task_id)) {
    return Refuse(400, "task_id must be a number");
  }
  std::optional<JobApiView> view = backend_.View(absl::StrCat(task_id));
  if (!view.has_value()) return Refuse(404, "task not found");
  Rr3TaskView out;
  out.task_id = task_id;
  out.status = StatusName(view->phase);
  out.progress = static_cast<int>(std::floor(view->progress * 100));
  if (view->phase == JobApiPhase::kSucceeded) {
    std::optional<std::string> base =
        JobApiBackend::PublicBase(request, Prefix());
    if (!base.has_value()) {
      return Refuse(400, "a plain Host header is required");
    }
    for (const std::string& name : view->file_names) {
      out.images.push_back(absl::StrCat(*base, "/files/", name));
    }
  }
  if (view->phase == JobApiPhase::kFailed ||
      view->phase == JobApiPhase::kCancelled) {
    out.error = view->error;
  }
  return Json(200, Rr3TaskJson(out));
}

ServerResponse Rr3Routes::CancelTask(absl::string_view id) {
  uint64_t task_id = 0;
  if (!absl::SimpleAtoi(id, &task_id)) {
    return Refuse(400, "task_id must be a number");
  }
  switch (backend_.Cancel(absl::StrCat(task_id))) {
    case JobApiStore::CancelOutcome::kUnknown:
      return Refuse(404, "task not found");
    case JobApiStore::CancelOutcome::kAlreadyFinished:
      return Refuse(409, "task already finished");
    case JobApiStore::CancelOutcome::kCancelled:
      break;
  }
  Rr3TaskView out;
  out.task_id = task_id;
  out.status = "CANCELLED";
  out.error = "cancelled by the client";
  return Json(200, Rr3TaskJson(out));
}

}  // namespace mediagw::sim
