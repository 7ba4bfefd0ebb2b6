// The OpenAI-compatible images surface (docs/API.md "OpenAI-compatible
// images"):
//   POST /v1/images/generations   synchronous, as OpenAI is: the task is
//                                 stored, then the reply waits for its end
//                                 (at most Options::sync_timeout);
//                                 `Prefer: respond-async` answers 202 with
//                                 the task id and /v1/tasks/<id> at once
//   GET  /v1/models, /v1/models/<name>   the model table, OpenAI's shape
// `model` picks a workflow from the table (gateway/model_table.h). Errors
// use OpenAI's {"error":{message,type,param,code}} and statuses
// (gateway/openai_codec.h). Once a task is stored, every answer carries
// `x-mediagw-task-id` and `x-should-retry: false`, so that the openai SDK
// does not generate (and charge) twice by retrying a 5xx or a timeout.
// The key (Authorization: Bearer, or x-api-key) is checked from the head.
//
// Threading: runs on HTTP server threads and never blocks; the wait is a
// TaskService watch plus a scheduler timer (gateway/sync_wait.h); blob
// reads for b64_json run on `blob_pool`.
#ifndef MEDIAGW_GATEWAY_OPENAI_HANDLER_H_
#define MEDIAGW_GATEWAY_OPENAI_HANDLER_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/time/time.h"
#include "common/thread_pool.h"
#include "core/auth.h"
#include "core/blob_store.h"
#include "core/http_client.h"
#include "core/task_service.h"
#include "gateway/model_table.h"
#include "gateway/route_table.h"

namespace mediagw::gateway {

class OpenAiImagesHandler {
 public:
  struct Deps {
    TaskService* tasks;
    const Authenticator* auth;
    Scheduler* timers;    // bounds synchronous waits
    BlobStore* blobs;     // outputs, for b64_json
    Executor* blob_pool;  // where blob reads run
  };
  struct Options {
    ModelTable models;
    absl::Duration sync_timeout = absl::Seconds(300);
    uint64_t max_b64_bytes = uint64_t{32} << 20;
  };
  // Every pointer must outlive the handler and the waits it started.
  OpenAiImagesHandler(Deps deps, Options options)
      : deps_(deps), options_(std::move(options)) {}

  void Register(RouteTable& table);

  // A request without a valid key gets the 401 Handle would send, unread.
  std::optional<net::ServerResponse> CheckHead(
      const net::ServerRequest& head) const;

 private:
  void Generate(net::ServerRequest request,
                std::shared_ptr<net::ResponseWriter> writer);
  void Models(const net::ServerRequest& request,
              const std::shared_ptr<net::ResponseWriter>& writer);
  // Answers for a task that ended (or the wait's error).
  void AnswerEnded(absl::StatusOr<v1::Task> task, bool b64,
                   const std::string& task_id,
                   std::shared_ptr<net::ResponseWriter> writer);
  // Reads the outputs' bytes (on the blob pool) and answers with them.
  void AnswerB64(v1::Task task, std::shared_ptr<net::ResponseWriter> writer);

  const Deps deps_;
  const Options options_;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_OPENAI_HANDLER_H_
