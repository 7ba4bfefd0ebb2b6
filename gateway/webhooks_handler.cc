#include "gateway/webhooks_handler.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_mapping.h"
#include "gateway/observed_writer.h"
#include "gateway/rest_codec.h"
#include "gateway/webhooks_codec.h"

namespace mediagw::gateway {
namespace {

constexpr absl::string_view kHistory = "/v1/tasks/{id}/webhooks";
constexpr absl::string_view kReplay = "/v1/tasks/{id}/webhooks/replay";

void SendError(const std::shared_ptr<net::ResponseWriter>& writer,
               const absl::Status& st) {
  SendJson(writer, ToHttpStatus(st), EncodeRestError(st));
}

}  // namespace

void WebhooksHandler::Register(RouteTable& table) {
  auto add =
      [&](std::string name, absl::string_view path,
          std::vector<std::string> methods,
          void (WebhooksHandler::*handle)(
              net::ServerRequest, std::shared_ptr<net::ResponseWriter>)) {
        Route route;
        route.name = std::move(name);
        route.path = std::string(path);
        route.methods = std::move(methods);
        route.handler = [this, handle](net::ServerRequest r,
                                       std::shared_ptr<net::ResponseWriter> w) {
          (this->*handle)(std::move(r), std::move(w));
        };
        route.check_head = [this](const net::ServerRequest& head)
            -> std::optional<net::ServerResponse> {
          auto caller = deps_.auth->Authenticate(Authenticator::ExtractKey(
              head.Header("x-api-key"), head.Header("authorization")));
          if (caller.ok()) return std::nullopt;
          net::ServerResponse resp;
          resp.status = ToHttpStatus(caller.status());
          resp.body = EncodeRestError(caller.status());
          return resp;
        };
        route.errors = [](absl::string_view message) {
          return EncodeRestError(400, message);
        };
        route.coded_errors = [](int http_status, absl::string_view message) {
          return EncodeRestError(http_status, message);
        };
        table.Add(std::move(route));
      };
  add("task_webhooks", kHistory, {"GET"}, &WebhooksHandler::History);
  add("task_webhooks_replay", kReplay, {"POST"}, &WebhooksHandler::Replay);
}

std::optional<Caller> WebhooksHandler::Begin(
    const net::ServerRequest& request,
    const std::shared_ptr<net::ResponseWriter>& writer) const {
  auto caller = deps_.auth->Authenticate(Authenticator::ExtractKey(
      request.Header("x-api-key"), request.Header("authorization")));
  if (!caller.ok()) {
    SendError(writer, caller.status());
    return std::nullopt;
  }
  caller->request_id = std::string(request.Header("x-request-id"));
  NoteKeyName(writer, caller->key_name);
  return *std::move(caller);
}

void WebhooksHandler::AnswerHistory(
    std::string task_id, int status,
    std::shared_ptr<net::ResponseWriter> writer) {
  deps_.pool->Schedule(
      [this, task_id = std::move(task_id), status, writer = std::move(writer)] {
        absl::StatusOr<std::optional<WebhookHistory>> h =
            deps_.store->History(task_id, deps_.max_attempts);
        if (!h.ok()) {
          SendError(writer, h.status());
          return;
        }
        SendJson(writer, status, EncodeWebhookHistory(task_id, *h));
      });
}

void WebhooksHandler::History(net::ServerRequest request,
                              std::shared_ptr<net::ResponseWriter> writer) {
  auto caller = Begin(request, writer);
  if (!caller) return;
  // GetTask is the owner check: another caller's task is NOT_FOUND.
  deps_.tasks->GetTask(
      *caller, FirstPathParam(kHistory, request.path),
      [this, writer = std::move(writer)](absl::StatusOr<v1::Task> task) {
        if (!task.ok()) {
          SendError(writer, task.status());
          return;
        }
        AnswerHistory(task->id(), 200, writer);
      });
}

void WebhooksHandler::Replay(net::ServerRequest request,
                             std::shared_ptr<net::ResponseWriter> writer) {
  auto caller = Begin(request, writer);
  if (!caller) return;
  deps_.tasks->GetTask(
      *caller, FirstPathParam(kReplay, request.path),
      [this, writer = std::move(writer)](absl::StatusOr<v1::Task> task) {
        if (!task.ok()) {
          SendError(writer, task.status());
          return;
        }
        const absl::Time now = deps_.clock->Now();
        const std::string id = task->id();
        deps_.store->Replay(
            id, absl::ToUnixMicros(now),
            absl::ToUnixMicros(now + deps_.max_retry),
            [this, id, writer](absl::Status st) {
              if (absl::IsNotFound(st)) {
                SendError(writer,
                          absl::FailedPreconditionError(absl::StrCat(
                              "task ", id, " has no webhook delivery")));
                return;
              }
              if (!st.ok()) {
                SendError(writer, st);
                return;
              }
              if (deps_.kick) deps_.kick();
              AnswerHistory(id, 202, writer);
            });
      });
}

}  // namespace mediagw::gateway
