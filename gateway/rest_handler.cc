#include "gateway/rest_handler.h"

#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/status_mapping.h"
#include "gateway/observed_writer.h"
#include "gateway/rest_codec.h"

namespace mediagw::gateway {
namespace {

constexpr absl::string_view kTasks = "/v1/tasks";
constexpr absl::string_view kTask = "/v1/tasks/{id}";
constexpr absl::string_view kCancel = "/v1/tasks/{id}/cancel";
constexpr absl::string_view kEvents = "/v1/tasks/{id}/events";

void SendError(const std::shared_ptr<net::ResponseWriter>& writer,
               const absl::Status& st) {
  SendJson(writer, ToHttpStatus(st), EncodeRestError(st), ErrorHeaders(st));
}

// Answers a task (or the error) as JSON.
std::function<void(absl::StatusOr<v1::Task>)> TaskReply(
    std::shared_ptr<net::ResponseWriter> writer) {
  return [writer = std::move(writer)](absl::StatusOr<v1::Task> task) {
    if (!task.ok()) {
      SendError(writer, task.status());
      return;
    }
    SendJson(writer, 200, EncodeTask(*task));
  };
}

}  // namespace

void RestHandler::Register(RouteTable& table) {
  auto add =
      [&](std::string name, absl::string_view path,
          std::vector<std::string> methods,
          void (RestHandler::*handle)(net::ServerRequest,
                                      std::shared_ptr<net::ResponseWriter>)) {
        Route route;
        route.name = std::move(name);
        route.path = std::string(path);
        route.methods = std::move(methods);
        route.handler = [this, handle](net::ServerRequest r,
                                       std::shared_ptr<net::ResponseWriter> w) {
          (this->*handle)(std::move(r), std::move(w));
        };
        route.check_head = [this](const net::ServerRequest& head) {
          return CheckHead(head);
        };
        route.errors = [](absl::string_view message) {
          return EncodeRestError(400, message);
        };
        route.coded_errors = [](int http_status, absl::string_view message) {
          return EncodeRestError(http_status, message);
        };
        table.Add(std::move(route));
      };
  add("tasks", kTasks, {"GET", "POST"}, &RestHandler::Tasks);
  add("task", kTask, {"GET"}, &RestHandler::Get);
  add("task_cancel", kCancel, {"POST"}, &RestHandler::Cancel);
  add("task_events", kEvents, {"GET"}, &RestHandler::Events);
}

std::optional<net::ServerResponse> RestHandler::CheckHead(
    const net::ServerRequest& head) const {
  auto caller = auth_->Authenticate(Authenticator::ExtractKey(
      head.Header("x-api-key"), head.Header("authorization")));
  if (caller.ok()) return std::nullopt;
  net::ServerResponse resp;
  resp.status = ToHttpStatus(caller.status());
  resp.body = EncodeRestError(caller.status());
  return resp;
}

std::optional<Caller> RestHandler::Begin(
    const net::ServerRequest& request,
    const std::shared_ptr<net::ResponseWriter>& writer) const {
  auto caller = auth_->Authenticate(Authenticator::ExtractKey(
      request.Header("x-api-key"), request.Header("authorization")));
  if (!caller.ok()) {
    SendError(writer, caller.status());
    return std::nullopt;
  }
  caller->request_id = std::string(request.Header("x-request-id"));
  NoteKeyName(writer, caller->key_name);
  return *std::move(caller);
}

void RestHandler::Tasks(net::ServerRequest request,
                        std::shared_ptr<net::ResponseWriter> writer) {
  auto caller = Begin(request, writer);
  if (!caller) return;
  if (request.method == "POST") {
    Submit(*caller, request, std::move(writer));
  } else {
    List(*caller, request, std::move(writer));
  }
}

void RestHandler::Submit(const Caller& caller, net::ServerRequest& request,
                         std::shared_ptr<net::ResponseWriter> writer) {
  auto decoded = DecodeSubmitTask(request.body);
  if (!decoded.ok()) {
    SendError(writer, decoded.status());
    return;
  }
  // The route table checked the header is UTF-8; the core bounds its length.
  const std::string key(request.Header("idempotency-key"));
  if (decoded->has_image()) {
    v1::SubmitImageRequest image = std::move(*decoded->mutable_image());
    if (!key.empty()) image.set_idempotency_key(key);
    tasks_->SubmitImage(caller, std::move(image), TaskReply(std::move(writer)));
  } else {
    v1::SubmitVideoRequest video = std::move(*decoded->mutable_video());
    if (!key.empty()) video.set_idempotency_key(key);
    tasks_->SubmitVideo(caller, std::move(video), TaskReply(std::move(writer)));
  }
}

void RestHandler::List(const Caller& caller, const net::ServerRequest& request,
                       std::shared_ptr<net::ResponseWriter> writer) {
  auto query = DecodeListTasksQuery(request.QueryParams());
  if (!query.ok()) {
    SendError(writer, query.status());
    return;
  }
  tasks_->ListTasks(caller, *std::move(query),
                    [writer](absl::StatusOr<v1::ListTasksResponse> page) {
                      if (!page.ok()) {
                        SendError(writer, page.status());
                        return;
                      }
                      SendJson(writer, 200, EncodeTaskList(*page));
                    });
}

void RestHandler::Get(net::ServerRequest request,
                      std::shared_ptr<net::ResponseWriter> writer) {
  auto caller = Begin(request, writer);
  if (!caller) return;
  tasks_->GetTask(*caller, FirstPathParam(kTask, request.path),
                  TaskReply(std::move(writer)));
}

void RestHandler::Cancel(net::ServerRequest request,
                         std::shared_ptr<net::ResponseWriter> writer) {
  auto caller = Begin(request, writer);
  if (!caller) return;
  tasks_->CancelTask(*caller, FirstPathParam(kCancel, request.path),
                     TaskReply(std::move(writer)));
}

void RestHandler::Events(net::ServerRequest request,
                         std::shared_ptr<net::ResponseWriter> writer) {
  auto caller = Begin(request, writer);
  if (!caller) return;
  auto last = DecodeLastEventId(request.Header("last-event-id"));
  if (!last.ok()) {
    SendError(writer, last.status());
    return;
  }
  TaskEventStream::Start(tasks_, events_, *caller,
                         FirstPathParam(kEvents, request.path), *last,
                         std::move(writer));
}

}  // namespace mediagw::gateway
