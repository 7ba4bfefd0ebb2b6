#include "gateway/openai_handler.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_mapping.h"
#include "gateway/observed_writer.h"
#include "gateway/openai_codec.h"
#include "gateway/sync_wait.h"

namespace mediagw::gateway {
namespace {

constexpr absl::string_view kGenerations = "/v1/images/generations";
constexpr absl::string_view kModels = "/v1/models";

void SendError(const std::shared_ptr<net::ResponseWriter>& writer,
               const OpenAiError& error, HttpHeaders headers = {}) {
  net::ServerResponse resp;
  resp.status = error.http_status;
  resp.headers = std::move(headers);
  resp.body = EncodeOpenAiError(error);
  writer->Send(std::move(resp));
}

// A refused submit: Retry-After when the caller is over a limit, and no
// retry at all for an exhausted balance (the openai SDK retries every 429
// unless told not to, and a retry cannot top it up).
HttpHeaders SubmitErrorHeaders(const absl::Status& status) {
  HttpHeaders h = ErrorHeaders(status);
  if (ReasonOf(status) == Reason::kCallerBalanceShort) {
    h.emplace_back("x-should-retry", "false");
  }
  return h;
}

// Once a task is stored, the openai SDK must not resend the request: a
// retry is a second paid generation.
HttpHeaders StoredHeaders(const std::string& task_id) {
  return {{"x-mediagw-task-id", task_id}, {"x-should-retry", "false"}};
}

// The status a failed, cancelled or timed-out task stands for. Only what
// the caller can act on keeps its code (a bad request, a busy or slow
// upstream); the rest is our failure (500), whatever the upstream said.
absl::Status TaskFailure(const v1::Task& task) {
  absl::StatusCode code = absl::StatusCode::kInternal;
  for (absl::StatusCode kept :
       {absl::StatusCode::kInvalidArgument, absl::StatusCode::kOutOfRange,
        absl::StatusCode::kResourceExhausted, absl::StatusCode::kUnavailable,
        absl::StatusCode::kDeadlineExceeded}) {
    if (CodeName(kept) == task.error().code()) code = kept;
  }
  std::string message = task.error().message();
  if (task.state() == v1::TASK_STATE_CANCELED) {
    code = absl::StatusCode::kInternal;
    if (message.empty()) message = "The task was canceled";
  } else if (task.state() == v1::TASK_STATE_TIMED_OUT) {
    code = absl::StatusCode::kDeadlineExceeded;
    if (message.empty()) message = "The task timed out";
  }
  if (message.empty()) message = "The image generation failed";
  return absl::Status(code, message);
}

// The blob behind one of our /uploads URLs.
std::string BlobNameOf(absl::string_view uri) {
  size_t at = uri.rfind("/uploads/");
  if (at == absl::string_view::npos) return "";
  return std::string(uri.substr(at + 9));
}

bool WantsAsync(const net::ServerRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (name == "prefer" &&
        absl::StrContains(absl::AsciiStrToLower(value), "respond-async")) {
      return true;
    }
  }
  return false;
}

}  // namespace

void OpenAiImagesHandler::Register(RouteTable& table) {
  auto errors = [](absl::string_view message) {
    OpenAiError e;
    e.message = std::string(message);
    e.type = "invalid_request_error";
    return EncodeOpenAiError(e);
  };
  auto check = [this](const net::ServerRequest& head) {
    return CheckHead(head);
  };
  Route gen;
  gen.name = "openai_images";
  gen.path = std::string(kGenerations);
  gen.methods = {"POST"};
  gen.handler = [this](net::ServerRequest r,
                       std::shared_ptr<net::ResponseWriter> w) {
    Generate(std::move(r), std::move(w));
  };
  gen.check_head = check;
  gen.errors = errors;
  table.Add(std::move(gen));
  for (bool prefix : {false, true}) {
    Route models;
    models.name = "openai_models";
    models.path = prefix ? absl::StrCat(kModels, "/") : std::string(kModels);
    models.prefix = prefix;
    if (prefix) models.doc_path = absl::StrCat(kModels, "/{model}");
    models.methods = {"GET"};
    models.handler = [this](net::ServerRequest r,
                            std::shared_ptr<net::ResponseWriter> w) {
      Models(r, w);
    };
    models.check_head = check;
    models.errors = errors;
    table.Add(std::move(models));
  }
}

std::optional<net::ServerResponse> OpenAiImagesHandler::CheckHead(
    const net::ServerRequest& head) const {
  auto caller = deps_.auth->Authenticate(Authenticator::ExtractKey(
      head.Header("x-api-key"), head.Header("authorization")));
  if (caller.ok()) return std::nullopt;
  net::ServerResponse resp;
  OpenAiError e = OpenAiErrorFor(caller.status());
  resp.status = e.http_status;
  resp.body = EncodeOpenAiError(e);
  return resp;
}

void OpenAiImagesHandler::Models(
    const net::ServerRequest& request,
    const std::shared_ptr<net::ResponseWriter>& writer) {
  if (auto refused = CheckHead(request)) {
    writer->Send(*std::move(refused));
    return;
  }
  if (request.path == kModels) {
    SendJson(writer, 200, EncodeOpenAiModels(options_.models));
    return;
  }
  absl::string_view name = request.path;
  name.remove_prefix(kModels.size() + 1);
  const ModelEntry* entry = options_.models.Find(name);
  if (entry == nullptr) {
    OpenAiError e;
    e.http_status = 404;
    e.type = "invalid_request_error";
    e.message = absl::StrCat("The model '", name, "' does not exist");
    e.param = "model";
    e.code = "model_not_found";
    SendError(writer, e);
    return;
  }
  // The one entry, in the list's element shape.
  std::string list = EncodeOpenAiModels(ModelTable({*entry}));
  // {"object":"list","data":[<entry>]} -> <entry>
  size_t open = list.find('[');
  size_t close = list.rfind(']');
  SendJson(writer, 200, list.substr(open + 1, close - open - 1));
}

void OpenAiImagesHandler::Generate(
    net::ServerRequest request, std::shared_ptr<net::ResponseWriter> writer) {
  auto caller = deps_.auth->Authenticate(Authenticator::ExtractKey(
      request.Header("x-api-key"), request.Header("authorization")));
  if (!caller.ok()) {
    SendError(writer, OpenAiErrorFor(caller.status()));
    return;
  }
  caller->request_id = std::string(request.Header("x-request-id"));
  NoteKeyName(writer, caller->key_name);
  std::string param;
  auto decoded = DecodeOpenAiImageRequest(request.body, &param);
  if (!decoded.ok()) {
    OpenAiError e = OpenAiErrorFor(decoded.status());
    e.param = param;
    SendError(writer, e);
    return;
  }
  const ModelEntry* entry = options_.models.Find(decoded->model);
  if (entry == nullptr) {
    OpenAiError e;
    e.http_status = 404;
    e.type = "invalid_request_error";
    e.message = absl::StrCat("The model '", decoded->model,
                             "' does not exist; GET /v1/models lists them");
    e.param = "model";
    e.code = "model_not_found";
    SendError(writer, e);
    return;
  }
  v1::SubmitImageRequest submit = std::move(decoded->submit);
  submit.set_workflow(entry->workflow);
  if (!entry->model.empty()) submit.set_model(entry->model);
  std::string key(request.Header("idempotency-key"));
  if (!key.empty()) submit.set_idempotency_key(key);
  const bool b64 = decoded->b64_json;
  const bool async = WantsAsync(request);
  const Caller who = *caller;
  deps_.tasks->SubmitImage(
      who, std::move(submit),
      [this, who, b64, async, writer](absl::StatusOr<v1::Task> task) {
        if (!task.ok()) {
          SendError(writer, OpenAiErrorFor(task.status()),
                    SubmitErrorHeaders(task.status()));
          return;
        }
        const std::string id = task->id();
        if (async) {
          const std::string status_url = absl::StrCat("/v1/tasks/", id);
          net::ServerResponse resp;
          resp.status = 202;
          resp.headers = StoredHeaders(id);
          resp.headers.emplace_back("location", status_url);
          resp.body = EncodeOpenAiAccepted(*task, status_url);
          writer->Send(std::move(resp));
          return;
        }
        auto wait = SyncWait::Start(
            deps_.tasks, deps_.timers, who, id, options_.sync_timeout,
            [this, b64, id, writer](absl::StatusOr<v1::Task> ended) {
              AnswerEnded(std::move(ended), b64, id, writer);
            });
        std::weak_ptr<SyncWait> weak = wait;
        writer->OnClose([weak] {
          if (auto w = weak.lock()) w->Abandon();
        });
      });
}

void OpenAiImagesHandler::AnswerEnded(
    absl::StatusOr<v1::Task> task, bool b64, const std::string& task_id,
    std::shared_ptr<net::ResponseWriter> writer) {
  if (!task.ok()) {
    if (task.status().code() == absl::StatusCode::kCancelled) return;
    OpenAiError e = OpenAiErrorFor(task.status());
    if (task.status().code() == absl::StatusCode::kDeadlineExceeded) {
      // The task goes on; the caller can still collect it.
      e.http_status = 503;
      e.type = "server_error";
      e.code = "timeout";
      e.message = absl::StrCat(task.status().message(),
                               "; it goes on: GET /v1/tasks/", task_id);
    }
    SendError(writer, e, StoredHeaders(task_id));
    return;
  }
  if (task->state() != v1::TASK_STATE_SUCCEEDED) {
    SendError(writer, OpenAiErrorFor(TaskFailure(*task)),
              StoredHeaders(task_id));
    return;
  }
  if (b64) {
    AnswerB64(*std::move(task), std::move(writer));
    return;
  }
  std::vector<OpenAiImage> images;
  for (const auto& o : task->outputs()) {
    OpenAiImage image;
    image.url = o.uri();
    images.push_back(std::move(image));
  }
  net::ServerResponse resp;
  resp.headers = StoredHeaders(task_id);
  resp.body = EncodeOpenAiImages(task->create_time().seconds(), images);
  writer->Send(std::move(resp));
}

void OpenAiImagesHandler::AnswerB64(
    v1::Task task, std::shared_ptr<net::ResponseWriter> writer) {
  deps_.blob_pool->Schedule([this, task = std::move(task), writer] {
    const std::string& id = task.id();
    auto fail = [&](absl::Status st) {
      SendError(writer, OpenAiErrorFor(st), StoredHeaders(id));
    };
    std::vector<OpenAiImage> images;
    uint64_t total = 0;
    for (const auto& o : task.outputs()) {
      std::string name = BlobNameOf(o.uri());
      auto reader = deps_.blobs->OpenRead(name);
      if (!reader.ok()) {
        return fail(absl::InternalError(absl::StrCat(
            "output ", o.uri(), " cannot be read: ",
            reader.status().message())));
      }
      const uint64_t size = (*reader)->size();
      total += size;
      if (total > options_.max_b64_bytes) {
        // A limit of ours, not the caller's mistake: the images exist.
        return fail(absl::InternalError(absl::StrCat(
            "the images are over ", options_.max_b64_bytes,
            " bytes, too large for b64_json; ask for response_format url "
            "or GET /v1/tasks/",
            id)));
      }
      OpenAiImage image;
      image.b64 = true;
      image.bytes.reserve(size);
      while (image.bytes.size() < size) {
        auto chunk = (*reader)->Read(image.bytes.size(),
                                     std::min<uint64_t>(size - image.bytes.size(),
                                                        1 << 20));
        if (!chunk.ok()) return fail(chunk.status());
        if (chunk->empty()) break;
        image.bytes += *chunk;
      }
      images.push_back(std::move(image));
    }
    net::ServerResponse resp;
    resp.headers = StoredHeaders(id);
    resp.body = EncodeOpenAiImages(task.create_time().seconds(), images);
    writer->Send(std::move(resp));
  });
}

}  // namespace mediagw::gateway
