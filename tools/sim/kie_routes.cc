#include "tools/sim/kie_routes.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto.h"
#include "common/logging.h"
#include "tools/sim/png_render.h"
#include "tools/sim/sim_server.h"
#include "tools/sim/video_render.h"

namespace mediagw::sim {
namespace {

using net::ServerRequest;
using net::ServerResponse;

ServerResponse Json(int http_status, std::string body) {
  ServerResponse r;
  r.status = http_status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

// kie refuses with HTTP 200 and the code in the body.
ServerResponse Refuse(int code, absl::string_view msg) {
  return Json(200, KieEnvelopeJson(code, msg));
}

KieJobTiming TimingFor(const SimOptions& o) {
  KieJobTiming t;
  t.waiting = o.start_delay;
  t.queuing = o.step_time;
  t.generating = o.step_time * kKieGenerateSteps;
  return t;
}

// A host[:port] we can put into a URL as is.
bool IsPlainHost(absl::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '-' && c != ':' && c != '[' && c != ']') {
      return false;
    }
  }
  return true;
}

// `side` on the long edge, the other edge from the aspect ratio; even sizes
// when `even` (video encoders need them).
std::pair<int, int> SizeFor(absl::string_view ratio, int side, bool even) {
  int short_side = (side * 2 + 1) / 3;  // two thirds, rounded
  if (even) short_side -= short_side % 2;
  if (ratio == "2:3") return {short_side, side};
  if (ratio == "3:2") return {side, short_side};
  return {side, side};
}

}  // namespace

KieRoutes::KieRoutes(const SimOptions& options, FaultRegistry* faults)
    : api_key_(options.api_key),
      webhook_hmac_key_(options.webhook_hmac_key),
      faults_(faults),
      jobs_(TimingFor(options), options.max_history),
      render_pool_(1) {}

KieRoutes::~KieRoutes() {
  stopping_.store(true);
  render_pool_.Shutdown();
  http_.Shutdown();
}

ServerResponse KieRoutes::ErrorResponse(int status,
                                        absl::string_view message) const {
  return Refuse(status, message);
}

std::optional<ServerResponse> KieRoutes::Route(
    const ServerRequest& request, absl::string_view path,
    const std::shared_ptr<net::ResponseWriter>& writer) {
  (void)writer;
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (path == "/api/v1/jobs/createTask") {
    if (request.method != "POST") {
      return Json(405, KieEnvelopeJson(405, "Method Not Allowed"));
    }
    return CreateTask(request);
  }
  if (path == "/api/v1/jobs/recordInfo") {
    if (!get) return Json(405, KieEnvelopeJson(405, "Method Not Allowed"));
    return RecordInfo(request);
  }
  if (absl::StartsWith(path, "/files/")) {
    if (!get) return Json(405, KieEnvelopeJson(405, "Method Not Allowed"));
    return GetFile(path.substr(7));
  }
  return Json(404, KieEnvelopeJson(404, "Not Found"));
}

bool KieRoutes::Authorized(const ServerRequest& request) const {
  absl::string_view auth =
      absl::StripAsciiWhitespace(request.Header("authorization"));
  if (auth.size() < 7 ||
      !absl::EqualsIgnoreCase(auth.substr(0, 7), "bearer ")) {
    return false;
  }
  return absl::StripAsciiWhitespace(auth.substr(7)) == api_key_;
}

ServerResponse KieRoutes::CreateTask(const ServerRequest& request) {
  if (!Authorized(request)) {
    return Refuse(401, "You do not have access permissions");
  }
  absl::StatusOr<KieCreateRequest> parsed = ParseKieCreateTask(request.body);
  if (!parsed.ok()) return Refuse(422, parsed.status().message());
  const absl::string_view host = request.Header("host");
  if (!IsPlainHost(host)) return Refuse(422, "a plain Host header is required");
  const std::optional<FaultMode> fault = faults_->TakeJobFault();
  const absl::Time now = absl::Now();
  KieJobs::Created created = jobs_.Create(
      *parsed, request.body, absl::StrCat("http://", host, "/kie/files"), now);
  faults_->CountJob(created.task_id);
  faults_->CountSubmit("kie", parsed->prompt);
  const std::string id = created.task_id;
  if (fault == FaultMode::kVanish) {
    http_.RunAt(created.done_at, [this, id] { jobs_.Forget(id); });
  } else if (fault == FaultMode::kErrorStatus) {
    http_.RunAt(created.done_at, [this, id] {
      auto ended =
          jobs_.Fail(id, "500", "simulated generation failure", absl::Now());
      if (ended.has_value()) SendCallback(*ended);
    });
  } else {
    render_pool_.Schedule(
        [this, id, req = *std::move(parsed), done_at = created.done_at] {
          Render(id, req, done_at);
        });
  }
  return Json(200, KieCreatedJson(id));
}

void KieRoutes::Render(const std::string& task_id,
                       const KieCreateRequest& request, absl::Time done_at) {
  if (stopping_.load()) return;
  const int64_t seed =
      static_cast<int64_t>(HashBytes(task_id) & 0x7fffffffffffffffULL);
  absl::StatusOr<std::string> bytes;
  KieFile file;
  if (request.video) {
    auto [w, h] = SizeFor(request.aspect_ratio, kKieVideoSide, /*even=*/true);
    bytes = RenderMp4(w, h, kKieVideoFrames, seed, request.prompt);
    file.name = absl::StrCat(task_id, "_0.mp4");
    file.content_type = "video/mp4";
  } else {
    auto [w, h] = SizeFor(request.aspect_ratio, kKieImageSide, /*even=*/false);
    bytes = RenderPng(w, h, seed, request.prompt);
    file.name = absl::StrCat(task_id, "_0.png");
    file.content_type = "image/png";
  }
  if (stopping_.load()) return;
  if (!bytes.ok()) {
    const std::string why =
        absl::StrCat("render failed: ", bytes.status().message());
    http_.RunAt(done_at, [this, task_id, why] {
      auto ended = jobs_.Fail(task_id, "500", why, absl::Now());
      if (ended.has_value()) SendCallback(*ended);
    });
    return;
  }
  file.bytes = *std::move(bytes);
  auto files = std::make_shared<std::vector<KieFile>>();
  files->push_back(std::move(file));
  http_.RunAt(done_at, [this, task_id, files] {
    auto ended = jobs_.Succeed(task_id, std::move(*files), absl::Now());
    if (ended.has_value()) SendCallback(*ended);
  });
}

void KieRoutes::SendCallback(const KieJobs::Ended& ended) {
  if (ended.callback_url.empty() || stopping_.load()) return;
  const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  HttpRequest req;
  req.method = "POST";
  req.url = ended.callback_url;
  req.timeout = absl::Seconds(15);
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("X-Webhook-Timestamp", timestamp);
  req.headers.emplace_back(
      "X-Webhook-Signature",
      absl::Base64Escape(
          HmacSha256(webhook_hmac_key_,
                     absl::StrCat(ended.view.task_id, ".", timestamp))));
  req.body = KieCallbackJson(ended.view);
  http_.Send(std::move(req), [id = ended.view.task_id](
                                 absl::StatusOr<HttpResponse> r) {
    if (!r.ok()) {
      MG_LOG(Debug, "kie sim: callback for ", id,
             " failed: ", r.status().message());
    } else if (r->status < 200 || r->status >= 300) {
      MG_LOG(Debug, "kie sim: callback for ", id, " answered HTTP ", r->status);
    }
  });
}

ServerResponse KieRoutes::RecordInfo(const ServerRequest& request) {
  if (!Authorized(request)) {
    return Refuse(401, "You do not have access permissions");
  }
  const std::string id = request.QueryParam("taskId").value_or("");
  if (id.empty()) return Refuse(422, "taskId is required");
  std::optional<KieTaskView> view = jobs_.View(id, absl::Now());
  if (!view.has_value()) return Refuse(404, "task not found");
  return Json(200, KieRecordInfoJson(*view));
}

ServerResponse KieRoutes::GetFile(absl::string_view name) const {
  std::optional<KieFile> file = jobs_.File(name);
  if (!file.has_value()) return Json(404, KieEnvelopeJson(404, "Not Found"));
  ServerResponse r;
  r.content_type = file->content_type;
  r.body = std::move(file->bytes);
  return r;
}

}  // namespace mediagw::sim
