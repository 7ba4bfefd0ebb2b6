#include "gateway/legacy_handler.h"

#include <functional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_mapping.h"
#include "gateway/legacy_codec.h"
#include "gateway/observed_writer.h"

namespace mediagw::gateway {
namespace {

enum class Endpoint { kImage, kVideo, kStatus, kBalance };

bool IsRead(Endpoint e) {
  return e == Endpoint::kStatus || e == Endpoint::kBalance;
}

// A caller's own account refusals keep their words ("Insufficient
// balance", 402) and a limit's Retry-After.
void SendError(const std::shared_ptr<net::ResponseWriter>& writer,
               const absl::Status& st) {
  SendJson(writer, ToHttpStatus(st), EncodeError(st.message()),
           ErrorHeaders(st));
}

// The endpoint a request names, or the error it gets (in the order the
// legacy API checks them: missing, unknown, wrong method).
absl::StatusOr<Endpoint> EndpointOf(const net::ServerRequest& request,
                                    int* http_status) {
  auto endpoint = request.QueryParam("endpoint");
  if (!endpoint || endpoint->empty()) {
    *http_status = 400;
    return absl::InvalidArgumentError("Missing endpoint");
  }
  Endpoint e;
  if (*endpoint == "image_generation") {
    e = Endpoint::kImage;
  } else if (*endpoint == "video_generation") {
    e = Endpoint::kVideo;
  } else if (*endpoint == "task_status") {
    e = Endpoint::kStatus;
  } else if (*endpoint == "balance") {
    e = Endpoint::kBalance;
  } else {
    *http_status = 404;
    return absl::NotFoundError(absl::StrCat("Unknown endpoint: ", *endpoint));
  }
  if (request.method != (IsRead(e) ? "GET" : "POST")) {
    *http_status = 405;
    return absl::InvalidArgumentError("Method not allowed");
  }
  return e;
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

}  // namespace

void LegacyHandler::Register(RouteTable& table) {
  Route route;
  route.name = "legacy";
  route.path = "/v1/index.php";
  route.methods = {"GET", "POST"};
  route.handler = [this](net::ServerRequest r,
                         std::shared_ptr<net::ResponseWriter> w) {
    Handle(std::move(r), std::move(w));
  };
  route.check_head = [this](const net::ServerRequest& head) {
    return CheckHead(head);
  };
  route.errors = &EncodeError;
  table.Add(std::move(route));
}

absl::StatusOr<Caller> LegacyHandler::Authenticate(
    const net::ServerRequest& request) const {
  return auth_->Authenticate(Authenticator::ExtractKey(
      request.Header("x-api-key"), request.Header("authorization")));
}

std::optional<net::ServerResponse> LegacyHandler::CheckHead(
    const net::ServerRequest& head) const {
  int http_status = 0;
  auto endpoint = EndpointOf(head, &http_status);
  if (!endpoint.ok() || IsRead(*endpoint)) return std::nullopt;
  auto caller = Authenticate(head);
  if (caller.ok()) return std::nullopt;
  net::ServerResponse resp;
  resp.status = ToHttpStatus(caller.status());
  resp.body = EncodeError(caller.status().message());
  return resp;
}

void LegacyHandler::Handle(net::ServerRequest request,
                           std::shared_ptr<net::ResponseWriter> writer) {
  int http_status = 0;
  auto endpoint = EndpointOf(request, &http_status);
  if (!endpoint.ok()) {
    SendJson(writer, http_status, EncodeError(endpoint.status().message()));
    return;
  }
  auto caller = Authenticate(request);
  if (!caller.ok()) {
    SendError(writer, caller.status());
    return;
  }
  caller->request_id = std::string(request.Header("x-request-id"));
  NoteKeyName(writer, caller->key_name);
  switch (*endpoint) {
    case Endpoint::kImage:
      ImageGeneration(*caller, request, std::move(writer));
      return;
    case Endpoint::kVideo:
      VideoGeneration(*caller, request, std::move(writer));
      return;
    case Endpoint::kStatus:
      TaskStatus(*caller, request, std::move(writer));
      return;
    case Endpoint::kBalance:
      Balance(*caller, std::move(writer));
      return;
  }
}

void LegacyHandler::ImageGeneration(
    const Caller& caller, net::ServerRequest& request,
    std::shared_ptr<net::ResponseWriter> writer) {
  auto decoded = DecodeImageGeneration(request.body);
  if (!decoded.ok()) {
    SendError(writer, decoded.status());
    return;
  }
  std::string key(request.Header("idempotency-key"));
  if (!key.empty()) decoded->set_idempotency_key(key);
  tasks_->SubmitImage(caller, *std::move(decoded),
                      QueuedReply(writer, &EncodeImageQueued));
}

void LegacyHandler::VideoGeneration(
    const Caller& caller, net::ServerRequest& request,
    std::shared_ptr<net::ResponseWriter> writer) {
  auto decoded = DecodeVideoGeneration(request.body);
  if (!decoded.ok()) {
    SendError(writer, decoded.status());
    return;
  }
  std::string key(request.Header("idempotency-key"));
  if (!key.empty()) decoded->set_idempotency_key(key);
  tasks_->SubmitVideo(caller, *std::move(decoded),
                      QueuedReply(writer, &EncodeVideoQueued));
}

void LegacyHandler::TaskStatus(const Caller& caller,
                               net::ServerRequest& request,
                               std::shared_ptr<net::ResponseWriter> writer) {
  auto id = request.QueryParam("task_id");
  if (!id || id->empty()) {
    SendJson(writer, 400, EncodeError("Missing task_id"));
    return;
  }
  tasks_->GetTask(caller, *id, [writer](absl::StatusOr<v1::Task> task) {
    if (!task.ok()) {
      SendError(writer, task.status());
      return;
    }
    SendJson(writer, 200, EncodeTaskStatus(*task));
  });
}

void LegacyHandler::Balance(const Caller& caller,
                            std::shared_ptr<net::ResponseWriter> writer) {
  if (accounts_ == nullptr) {
    SendError(writer, absl::UnimplementedError("Balance not available"));
    return;
  }
  accounts_->AccountOf(caller.owner(),
                       [writer](absl::StatusOr<v1::Account> account) {
                         if (!account.ok()) {
                           SendError(writer, account.status());
                           return;
                         }
                         SendJson(writer, 200, EncodeBalance(*account));
                       });
}

}  // namespace mediagw::gateway
