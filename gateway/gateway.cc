#include "gateway/gateway.h"

#include <functional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/access_log.h"
#include "common/metrics.h"
#include "common/status_mapping.h"
#include "common/utf8.h"
#include "gateway/legacy_codec.h"

namespace mediagw::gateway {
namespace {

void SendJson(const std::shared_ptr<net::ResponseWriter>& writer, int status,
              std::string body) {
  net::ServerResponse resp;
  resp.status = status;
  resp.body = std::move(body);
  writer->Send(std::move(resp));
}

void SendError(const std::shared_ptr<net::ResponseWriter>& writer,
               const absl::Status& st) {
  SendJson(writer, ToHttpStatus(st), EncodeError(st.message()));
}

// The reply to a submit: the seed's "queued" envelope, or the error's.
std::function<void(absl::StatusOr<v1::Task>)> QueuedReply(
    std::shared_ptr<net::ResponseWriter> writer,
    std::string (*encode)(const v1::Task&)) {
  return [writer = std::move(writer), encode](absl::StatusOr<v1::Task> task) {
    if (!task.ok()) {
      SendError(writer, task.status());
      return;
    }
    SendJson(writer, 200, encode(*task));
  };
}

// Text from the request line and the headers we keep must be UTF-8 before
// any of it can reach a task, a log line or an error message.
absl::Status CheckRequestText(const net::ServerRequest& request) {
  if (!IsValidUtf8(request.path)) {
    return absl::InvalidArgumentError("Request path is not valid UTF-8");
  }
  for (const auto& [name, value] : request.QueryParams()) {
    if (!IsValidUtf8(name)) {
      return absl::InvalidArgumentError(
          "Query parameter name is not valid UTF-8");
    }
    if (!IsValidUtf8(value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Query parameter '", name, "' is not valid UTF-8"));
    }
  }
  if (!IsValidUtf8(request.Header("idempotency-key"))) {
    return absl::InvalidArgumentError("Idempotency-Key is not valid UTF-8");
  }
  return absl::OkStatus();
}

}  // namespace

void Gateway::Handle(net::ServerRequest request,
                     std::shared_ptr<net::ResponseWriter> writer) {
  if (absl::Status text = CheckRequestText(request); !text.ok()) {
    SendError(writer, text);
    return;
  }
  const std::string& path = request.path;
  if (path == "/healthz") {
    SendJson(writer, 200, EncodeHealth("ok"));
    return;
  }
  if (path == "/readyz") {
    absl::Status st = deps_.ready ? deps_.ready() : absl::OkStatus();
    SendJson(writer, st.ok() ? 200 : 503,
             EncodeHealth(st.ok() ? "ready" : st.message()));
    return;
  }
  if (path == "/metrics") {
    net::ServerResponse resp;
    resp.content_type = "text/plain; version=0.0.4";
    resp.body = GlobalMetrics().RenderPrometheus();
    writer->Send(std::move(resp));
    return;
  }
  if (absl::StartsWith(path, "/uploads/")) {
    deps_.uploads->Serve(request, std::move(writer));
    return;
  }
  if (absl::StartsWith(path, "/v1/callbacks/")) {
    Callback(path.substr(14), request, writer);
    return;
  }
  if (path == "/v1/index.php") {
    HandleLegacy(request, writer);
    return;
  }
  SendJson(writer, 404, EncodeError("Not found"));
}

std::optional<net::ServerResponse> Gateway::CheckHead(
    const net::ServerRequest& head) const {
  if (head.path != "/v1/index.php" || head.method != "POST") {
    return std::nullopt;
  }
  // Only the submit routes; anything else gets HandleLegacy's own answer
  // (400/404/405 before the key is looked at).
  const auto endpoint = head.QueryParam("endpoint");
  if (!endpoint ||
      (*endpoint != "image_generation" && *endpoint != "video_generation")) {
    return std::nullopt;
  }
  auto caller = deps_.auth->Authenticate(Authenticator::ExtractKey(
      head.Header("x-api-key"), head.Header("authorization")));
  if (caller.ok()) return std::nullopt;
  net::ServerResponse resp;
  resp.status = ToHttpStatus(caller.status().code());
  resp.body = EncodeError(caller.status().message());
  return resp;
}

void Gateway::HandleLegacy(net::ServerRequest& request,
                           std::shared_ptr<net::ResponseWriter> writer) {
  auto endpoint = request.QueryParam("endpoint");
  if (!endpoint || endpoint->empty()) {
    SendJson(writer, 400, EncodeError("Missing endpoint"));
    return;
  }
  const bool is_image = *endpoint == "image_generation";
  const bool is_video = *endpoint == "video_generation";
  const bool is_status = *endpoint == "task_status";
  if (!is_image && !is_video && !is_status) {
    SendJson(writer, 404,
             EncodeError(absl::StrCat("Unknown endpoint: ", *endpoint)));
    return;
  }
  if (((is_image || is_video) && request.method != "POST") ||
      (is_status && request.method != "GET")) {
    SendJson(writer, 405, EncodeError("Method not allowed"));
    return;
  }
  auto caller = deps_.auth->Authenticate(Authenticator::ExtractKey(
      request.Header("x-api-key"), request.Header("authorization")));
  if (!caller.ok()) {
    SendError(writer, caller.status());
    return;
  }
  caller->request_id = RequestIdFrom(request.Header("x-request-id"));
  if (is_image) {
    ImageGeneration(*caller, request, std::move(writer));
  } else if (is_video) {
    VideoGeneration(*caller, request, std::move(writer));
  } else {
    TaskStatus(*caller, request, std::move(writer));
  }
}

void Gateway::ImageGeneration(const Caller& caller, net::ServerRequest& request,
                              std::shared_ptr<net::ResponseWriter> writer) {
  auto decoded = DecodeImageGeneration(request.body);
  if (!decoded.ok()) {
    SendError(writer, decoded.status());
    return;
  }
  std::string key(request.Header("idempotency-key"));
  if (!key.empty()) decoded->set_idempotency_key(key);
  deps_.tasks->SubmitImage(caller, *std::move(decoded),
                           QueuedReply(writer, &EncodeImageQueued));
}

void Gateway::VideoGeneration(const Caller& caller, net::ServerRequest& request,
                              std::shared_ptr<net::ResponseWriter> writer) {
  auto decoded = DecodeVideoGeneration(request.body);
  if (!decoded.ok()) {
    SendError(writer, decoded.status());
    return;
  }
  std::string key(request.Header("idempotency-key"));
  if (!key.empty()) decoded->set_idempotency_key(key);
  deps_.tasks->SubmitVideo(caller, *std::move(decoded),
                           QueuedReply(writer, &EncodeVideoQueued));
}

void Gateway::Callback(const std::string& task_id, net::ServerRequest& request,
                       std::shared_ptr<net::ResponseWriter> writer) {
  if (request.method != "POST") {
    SendJson(writer, 405, EncodeError("Method not allowed"));
    return;
  }
  CallbackRequest cb;
  cb.headers = request.headers;
  cb.body = std::move(request.body);
  deps_.tasks->HandleCallback(task_id, std::move(cb),
                              [writer](absl::Status st) {
                                if (!st.ok()) {
                                  SendError(writer, st);
                                  return;
                                }
                                SendJson(writer, 200, EncodeHealth("ok"));
                              });
}

void Gateway::TaskStatus(const Caller& caller, net::ServerRequest& request,
                         std::shared_ptr<net::ResponseWriter> writer) {
  auto id = request.QueryParam("task_id");
  if (!id || id->empty()) {
    SendJson(writer, 400, EncodeError("Missing task_id"));
    return;
  }
  deps_.tasks->GetTask(caller, *id, [writer](absl::StatusOr<v1::Task> task) {
    if (!task.ok()) {
      SendError(writer, task.status());
      return;
    }
    SendJson(writer, 200, EncodeTaskStatus(*task));
  });
}

}  // namespace mediagw::gateway
