#include "gateway/kie_jobs_handler.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/kie_jobs_codec.h"
#include "gateway/observed_writer.h"

namespace mediagw::gateway {
namespace {

constexpr char kCreateTask[] = "/api/v1/jobs/createTask";
constexpr char kRecordInfo[] = "/api/v1/jobs/recordInfo";

// kie answers HTTP 200 whatever the body code says.
void SendKie(const std::shared_ptr<net::ResponseWriter>& writer,
             std::string body) {
  SendJson(writer, 200, std::move(body));
}

void SendKieError(const std::shared_ptr<net::ResponseWriter>& writer,
                  const absl::Status& st) {
  SendJson(writer, 200, EncodeKieError(KieCodeFor(st), st.message()),
           ErrorHeaders(st));
}

std::function<void(absl::StatusOr<v1::Task>)> CreatedReply(
    std::shared_ptr<net::ResponseWriter> writer) {
  return [writer = std::move(writer)](absl::StatusOr<v1::Task> task) {
    if (!task.ok()) {
      SendKieError(writer, task.status());
      return;
    }
    SendKie(writer, EncodeKieCreated(task->id()));
  };
}

}  // namespace

void KieJobsHandler::Register(RouteTable& table) {
  auto errors = [](absl::string_view message) {
    return EncodeKieError(404, message);
  };
  auto check = [this](const net::ServerRequest& head) {
    return CheckHead(head);
  };
  Route create;
  create.name = "kie_create";
  create.path = kCreateTask;
  create.methods = {"POST"};
  create.handler = [this](net::ServerRequest r,
                          std::shared_ptr<net::ResponseWriter> w) {
    CreateTask(std::move(r), std::move(w));
  };
  create.check_head = check;
  create.errors = errors;
  table.Add(std::move(create));
  Route info;
  info.name = "kie_record_info";
  info.path = kRecordInfo;
  info.methods = {"GET"};
  info.handler = [this](net::ServerRequest r,
                        std::shared_ptr<net::ResponseWriter> w) {
    RecordInfo(r, std::move(w));
  };
  info.check_head = check;
  info.errors = errors;
  table.Add(std::move(info));
}

std::optional<net::ServerResponse> KieJobsHandler::CheckHead(
    const net::ServerRequest& head) const {
  auto caller = auth_->Authenticate(Authenticator::ExtractKey(
      head.Header("x-api-key"), head.Header("authorization")));
  if (caller.ok()) return std::nullopt;
  net::ServerResponse resp;
  resp.status = 200;
  resp.body = EncodeKieError(401, caller.status().message());
  return resp;
}

void KieJobsHandler::CreateTask(net::ServerRequest request,
                                std::shared_ptr<net::ResponseWriter> writer) {
  auto caller = auth_->Authenticate(Authenticator::ExtractKey(
      request.Header("x-api-key"), request.Header("authorization")));
  if (!caller.ok()) {
    SendKieError(writer, caller.status());
    return;
  }
  caller->request_id = std::string(request.Header("x-request-id"));
  NoteKeyName(writer, caller->key_name);
  auto decoded = DecodeKieCreateTask(request.body);
  if (!decoded.ok()) {
    SendKieError(writer, decoded.status());
    return;
  }
  const ModelEntry* entry = models_.Find(decoded->model);
  if (entry == nullptr) {
    SendKie(writer, EncodeKieError(
                        422, absl::StrCat("model '", decoded->model,
                                          "' is not supported")));
    return;
  }
  std::string key(request.Header("idempotency-key"));
  caller->kie_callback = true;
  if (entry->video) {
    if (decoded->image_urls.empty()) {
      SendKie(writer, EncodeKieError(
                          422, "input.image_urls is required for this model"));
      return;
    }
    v1::SubmitVideoRequest submit;
    submit.set_prompt(decoded->prompt);
    submit.set_image(decoded->image_urls.front());
    submit.set_workflow(entry->workflow);
    if (!entry->model.empty()) submit.set_model(entry->model);
    submit.set_webhook_url(decoded->callback_url);
    if (!key.empty()) submit.set_idempotency_key(key);
    tasks_->SubmitVideo(*caller, std::move(submit), CreatedReply(writer));
    return;
  }
  v1::SubmitImageRequest submit;
  submit.set_prompt(decoded->prompt);
  submit.set_workflow(entry->workflow);
  if (!entry->model.empty()) submit.set_model(entry->model);
  if (decoded->width != 0) {
    submit.set_width(decoded->width);
    submit.set_height(decoded->height);
  }
  submit.set_webhook_url(decoded->callback_url);
  if (!key.empty()) submit.set_idempotency_key(key);
  tasks_->SubmitImage(*caller, std::move(submit), CreatedReply(writer));
}

void KieJobsHandler::RecordInfo(const net::ServerRequest& request,
                                std::shared_ptr<net::ResponseWriter> writer) {
  auto caller = auth_->Authenticate(Authenticator::ExtractKey(
      request.Header("x-api-key"), request.Header("authorization")));
  if (!caller.ok()) {
    SendKieError(writer, caller.status());
    return;
  }
  NoteKeyName(writer, caller->key_name);
  auto id = request.QueryParam("taskId");
  if (!id || id->empty()) {
    SendKie(writer, EncodeKieError(422, "taskId is required"));
    return;
  }
  tasks_->GetTask(*caller, *id,
                  [this, writer](absl::StatusOr<v1::Task> task) {
                    if (!task.ok()) {
                      SendKieError(writer, task.status());
                      return;
                    }
                    const ModelEntry* entry =
                        models_.FindByWorkflow(task->workflow());
                    SendKie(writer,
                            EncodeKieRecordInfo(
                                *task, entry != nullptr ? entry->name
                                                        : task->workflow()));
                  });
}

}  // namespace mediagw::gateway
