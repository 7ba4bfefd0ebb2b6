// The REST gateway: one route table with a handler per surface, each with
// its own codec and error envelope. A peer of the gRPC adapter over the
// core's TaskService; it never talks to a provider or the task store.
//
// Surfaces and routes:
//   legacy (gateway/legacy_handler.h)      /v1/index.php?endpoint=...
//   uploads (gateway/uploads_handler.h)    GET|HEAD /uploads/<name>
//   callbacks (gateway/callback_handler.h) POST /v1/callbacks/<task id>
//   health (gateway/health_handler.h)      GET /healthz, /readyz, /metrics
//   openai (gateway/openai_handler.h)      POST /v1/images/generations,
//                                          GET /v1/models[/<name>]
//   kie (gateway/kie_jobs_handler.h)       POST /api/v1/jobs/createTask,
//                                          GET /api/v1/jobs/recordInfo
//   native (gateway/rest_handler.h)        /v1/tasks, /v1/tasks/{id},
//                                          /v1/tasks/{id}/cancel, .../events
//   webhooks (gateway/webhooks_handler.h)  /v1/tasks/{id}/webhooks[/replay]
// docs/openapi.yaml documents every route; a test holds it to Routes().
// Paths no route claims get 404 in the legacy envelope. Only the webhooks
// routes read a store (the webhook store, on their own pool).
//
// Threading: Handle and CheckHead run on HTTP server threads and never
// block.
#ifndef MEDIAGW_GATEWAY_GATEWAY_H_
#define MEDIAGW_GATEWAY_GATEWAY_H_

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "core/http_client.h"

#include "core/account_view.h"
#include "core/auth.h"
#include "core/task_service.h"
#include "gateway/callback_handler.h"
#include "gateway/health_handler.h"
#include "gateway/kie_jobs_handler.h"
#include "gateway/openai_handler.h"
#include "gateway/legacy_handler.h"
#include "gateway/rest_handler.h"
#include "gateway/route_table.h"
#include "gateway/uploads_handler.h"
#include "gateway/webhooks_handler.h"
#include "net/http_server.h"

namespace mediagw::gateway {

class Gateway {
 public:
  struct Deps {
    TaskService* tasks;
    const Authenticator* auth;
    UploadsHandler* uploads;
    // OK when the service can take work (store open, recovery done).
    std::function<absl::Status()> ready;
    // The OpenAI- and kie-compatible surfaces; absent = not served.
    struct Compat {
      Scheduler* timers;    // synchronous OpenAI waits
      BlobStore* blobs;     // b64_json reads
      Executor* blob_pool;  // where those reads run
      OpenAiImagesHandler::Options openai;
      ModelTable kie_models;
    };
    std::optional<Compat> compat{};

    // Timers for event-stream heartbeats (the curl loop); null: none.
    Scheduler* scheduler = nullptr;
    absl::Duration sse_heartbeat = absl::Seconds(15);

    // The callers' own accounts (legacy endpoint=balance); null: 501.
    AccountView* accounts = nullptr;
    // The webhook visibility routes; absent = not served.
    std::optional<WebhooksHandler::Deps> webhooks{};
  };
  // Every pointer must outlive the gateway.
  explicit Gateway(Deps deps);
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  void Handle(net::ServerRequest request,
              std::shared_ptr<net::ResponseWriter> writer);
  // The server's head check (net::HeadCheck), by route.
  std::optional<net::ServerResponse> CheckHead(
      const net::ServerRequest& head) const;

  // Every (method, path) the gateway serves, paths as documented.
  std::vector<RouteEntry> Routes() const { return routes_.Entries(); }

 private:
  LegacyHandler legacy_;
  RestHandler rest_;
  CallbackHandler callbacks_;
  HealthHandler health_;
  std::optional<OpenAiImagesHandler> openai_;
  std::optional<KieJobsHandler> kie_;
  std::optional<WebhooksHandler> webhooks_;
  RouteTable routes_;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_GATEWAY_H_
