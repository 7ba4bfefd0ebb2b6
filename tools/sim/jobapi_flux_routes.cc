#include "tools/sim/jobapi_flux_routes.h"

#include <cmath>
#include <utility>
#include <variant>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "tools/sim/jobapi_flux_codec.h"
#include "tools/sim/sim_server.h"

namespace mediagw::sim {
namespace {

using net::ServerRequest;
using net::ServerResponse;

constexpr absl::string_view kModels[] = {"/v1/flux-dev", "/v1/flux-pro",
                                         "/v1/flux-pro-1.1"};

ServerResponse Json(int status, std::string body) {
  ServerResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

std::string StatusName(const JobApiView& view) {
  switch (view.phase) {
    case JobApiPhase::kPending:
      return "Pending";
    case JobApiPhase::kRunning:
      return "Processing";
    case JobApiPhase::kSucceeded:
      return "Ready";
    case JobApiPhase::kFailed:
    case JobApiPhase::kCancelled:
      return view.moderated ? "Content Moderated" : "Error";
  }
  return "Error";
}

}  // namespace

FluxRoutes::FluxRoutes(const SimOptions& options, FaultRegistry* faults)
    : api_key_(options.api_key),
      faults_(faults),
      backend_({options.start_delay, options.step_time}, options.max_history,
               faults) {}

ServerResponse FluxRoutes::ErrorResponse(int status,
                                         absl::string_view message) const {
  return Json(status, FluxDetailJson(message));
}

std::optional<ServerResponse> FluxRoutes::Route(
    const ServerRequest& request, absl::string_view path,
    const std::shared_ptr<net::ResponseWriter>& writer) {
  (void)writer;
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  if (absl::StartsWith(path, "/files/")) {
    if (!get) return ErrorResponse(405, "Method Not Allowed");
    std::optional<JobApiFile> file = backend_.File(path.substr(7));
    if (!file.has_value()) return ErrorResponse(404, "Not Found");
    ServerResponse r;
    r.content_type = file->content_type;
    r.body = std::move(file->bytes);
    return r;
  }
  bool submit = false;
  for (absl::string_view model : kModels) submit = submit || path == model;
  const bool result = path == "/v1/get_result";
  if (!submit && !result) return ErrorResponse(404, "Not Found");
  if (submit ? !post : !get) return ErrorResponse(405, "Method Not Allowed");
  if (api_key_.empty() || request.Header("x-key") != api_key_) {
    return ErrorResponse(403, "Not authenticated");
  }
  return submit ? Submit(request) : GetResult(request);
}

ServerResponse FluxRoutes::Submit(const ServerRequest& request) {
  std::optional<std::string> base =
      JobApiBackend::PublicBase(request, Prefix());
  if (!base.has_value()) {
    return Json(422, FluxValidationJson({{"header", "host"},
                                         "a plain Host header is required",
                                         "value_error"}));
  }
  auto parsed = ParseFluxRequest(request.body);
  if (auto* error = std::get_if<FluxFieldError>(&parsed)) {
    return Json(422, FluxValidationJson(*error));
  }
  const FluxRequest& r = std::get<FluxRequest>(parsed);
  JobApiParams params;
  params.prompt = r.prompt;
  params.width = r.width;
  params.height = r.height;
  params.steps = r.steps;
  params.seed = r.seed.value_or(RandomSeed());
  params.moderated = absl::StrContains(r.prompt, kModerationMarker);
  const std::string id = NewUuid();
  faults_->CountSubmit("flux", params.prompt);
  backend_.Start(id, std::move(params));
  return Json(
      200, FluxAcceptedJson(id, absl::StrCat(*base, "/v1/get_result?id=", id)));
}

ServerResponse FluxRoutes::GetResult(const ServerRequest& request) {
  std::optional<std::string> id = request.QueryParam("id");
  if (!id.has_value() || id->empty()) {
    return Json(422, FluxValidationJson(
                         {{"query", "id"}, "Field required", "missing"}));
  }
  std::optional<JobApiView> view = backend_.View(*id);
  if (!view.has_value()) return ErrorResponse(404, "Task not found");
  FluxResultView out;
  out.id = *id;
  out.status = StatusName(*view);
  if (view->phase == JobApiPhase::kRunning) {
    out.progress = std::round(view->progress * 100) / 100;
  }
  if (view->phase == JobApiPhase::kSucceeded) {
    std::optional<std::string> base =
        JobApiBackend::PublicBase(request, Prefix());
    if (!base.has_value() || view->file_names.empty()) {
      return ErrorResponse(500, "result file missing");
    }
    out.sample_url = absl::StrCat(*base, "/files/", view->file_names[0]);
    out.prompt = view->params.prompt;
    out.seed = view->params.seed;
  }
  if (view->moderated) {
    out.moderation_reasons.push_back("Simulated");
  } else if (view->phase == JobApiPhase::kFailed ||
             view->phase == JobApiPhase::kCancelled) {
    out.error = view->error;
  }
  return Json(200, FluxResultJson(out));
}

}  // namespace mediagw::sim
