// The webhook visibility routes of the native REST surface (docs/API.md
// "Webhooks"):
//   GET  /v1/tasks/{id}/webhooks         the task's delivery and attempts
//   POST /v1/tasks/{id}/webhooks/replay  send it again (202 with the
//                                        delivery, now pending and due)
// Keys and owner checks as GET /v1/tasks/{id} (another caller's task is
// 404); errors in the REST envelope. A replay of a task without a delivery
// is 412 (FAILED_PRECONDITION).
//
// Threading: runs on HTTP server threads and never blocks: the webhook
// store is read on `pool`, and its writes answer from the store's writer
// thread.
#ifndef MEDIAGW_GATEWAY_WEBHOOKS_HANDLER_H_
#define MEDIAGW_GATEWAY_WEBHOOKS_HANDLER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/thread_pool.h"
#include "core/auth.h"
#include "core/task_service.h"
#include "core/webhook_store.h"
#include "gateway/route_table.h"

namespace mediagw::gateway {

class WebhooksHandler {
 public:
  struct Deps {
    TaskService* tasks;
    const Authenticator* auth;
    WebhookStore* store;
    Executor* pool;  // where store reads run
    const Clock* clock;
    // Wakes the sender after a replay; may be unset.
    std::function<void()> kick;
    // A replayed delivery is retried this long (webhooks.max_retry_hours).
    absl::Duration max_retry = absl::Hours(24);
    // Attempts listed at most (the newest).
    int max_attempts = 100;
  };
  // Every pointer must outlive the handler.
  explicit WebhooksHandler(Deps deps) : deps_(std::move(deps)) {}
  void Register(RouteTable& table);

 private:
  std::optional<Caller> Begin(
      const net::ServerRequest& request,
      const std::shared_ptr<net::ResponseWriter>& writer) const;
  void History(net::ServerRequest request,
               std::shared_ptr<net::ResponseWriter> writer);
  void Replay(net::ServerRequest request,
              std::shared_ptr<net::ResponseWriter> writer);
  // Reads the task's history on the pool and answers it with `status`.
  void AnswerHistory(std::string task_id, int status,
                     std::shared_ptr<net::ResponseWriter> writer);

  const Deps deps_;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_WEBHOOKS_HANDLER_H_
