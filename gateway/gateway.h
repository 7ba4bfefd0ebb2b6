// The REST transcoder: maps the legacy JSON endpoints onto TaskService and
// serves stored outputs. A peer of the gRPC adapter; it never talks to a
// provider or the task store.
//
// Routes:
//   POST /v1/index.php?endpoint=image_generation
//   POST /v1/index.php?endpoint=video_generation
//   GET  /v1/index.php?endpoint=task_status&task_id=<id>
//   POST /v1/callbacks/<task id>  (upstream completion notices; no API key:
//                                  the task's provider checks the signature)
//   GET  /uploads/<name>          (stored outputs, see UploadsHandler; no
//                                  key needed, ids are unguessable UUIDs as
//                                  in the legacy API)
//   GET  /healthz, /readyz, /metrics (Prometheus text)
// Errors use the legacy envelope {"success":false,"data":null,"error":...}.
//
// Threading: Handle and CheckHead run on an HTTP server thread and never
// block; blob reads go to the uploads handler's own pool; answers are sent
// from TaskService callbacks.
#ifndef MEDIAGW_GATEWAY_GATEWAY_H_
#define MEDIAGW_GATEWAY_GATEWAY_H_

#include <functional>
#include <memory>
#include <optional>

#include "common/thread_pool.h"
#include "core/auth.h"
#include "core/blob_store.h"
#include "core/task_service.h"
#include "gateway/uploads_handler.h"
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
  };
  explicit Gateway(Deps deps) : deps_(std::move(deps)) {}

  void Handle(net::ServerRequest request,
              std::shared_ptr<net::ResponseWriter> writer);

  // The server's head check (net::HeadCheck): refuses a submit (POST
  // image_generation / video_generation) without a valid key with the same
  // 401 envelope HandleLegacy sends, before its body is read. nullopt for
  // everything else, which Handle then checks in full.
  std::optional<net::ServerResponse> CheckHead(
      const net::ServerRequest& head) const;

 private:
  void HandleLegacy(net::ServerRequest& request,
                    std::shared_ptr<net::ResponseWriter> writer);
  void ImageGeneration(const Caller& caller, net::ServerRequest& request,
                       std::shared_ptr<net::ResponseWriter> writer);
  void VideoGeneration(const Caller& caller, net::ServerRequest& request,
                       std::shared_ptr<net::ResponseWriter> writer);
  void TaskStatus(const Caller& caller, net::ServerRequest& request,
                  std::shared_ptr<net::ResponseWriter> writer);
  void Callback(const std::string& task_id, net::ServerRequest& request,
                std::shared_ptr<net::ResponseWriter> writer);

  Deps deps_;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_GATEWAY_H_
