// The legacy surface (seeds 000/001): /v1/index.php with
//   POST ?endpoint=image_generation, POST ?endpoint=video_generation,
//   GET  ?endpoint=task_status&task_id=<id>,
//   GET  ?endpoint=balance (the caller's own account, docs/ACCOUNTS.md).
// Errors use the legacy envelope {"success":false,"data":null,"error":...}
// (gateway/legacy_codec.h). The key (x-api-key, or Authorization Bearer /
// Token) is checked from the head of a submit, before its body is read.
//
// Threading: runs on HTTP server threads and never blocks; answers are
// sent from TaskService callbacks.
#ifndef MEDIAGW_GATEWAY_LEGACY_HANDLER_H_
#define MEDIAGW_GATEWAY_LEGACY_HANDLER_H_

#include <memory>
#include <optional>

#include "core/account_view.h"
#include "core/auth.h"
#include "core/task_service.h"
#include "gateway/route_table.h"

namespace mediagw::gateway {

class LegacyHandler {
 public:
  // All must outlive the handler. Without `accounts` the balance endpoint
  // answers 501.
  LegacyHandler(TaskService* tasks, const Authenticator* auth,
                AccountView* accounts = nullptr)
      : tasks_(tasks), auth_(auth), accounts_(accounts) {}
  void Register(RouteTable& table);

  // Refuses a submit without a valid key with the 401 envelope Handle would
  // send; nullopt for everything else, which Handle checks in full (so a
  // bad endpoint or method gets its 400/404/405 before the key is looked
  // at).
  std::optional<net::ServerResponse> CheckHead(
      const net::ServerRequest& head) const;

 private:
  void Handle(net::ServerRequest request,
              std::shared_ptr<net::ResponseWriter> writer);
  void ImageGeneration(const Caller& caller, net::ServerRequest& request,
                       std::shared_ptr<net::ResponseWriter> writer);
  void VideoGeneration(const Caller& caller, net::ServerRequest& request,
                       std::shared_ptr<net::ResponseWriter> writer);
  void TaskStatus(const Caller& caller, net::ServerRequest& request,
                  std::shared_ptr<net::ResponseWriter> writer);
  void Balance(const Caller& caller,
               std::shared_ptr<net::ResponseWriter> writer);
  absl::StatusOr<Caller> Authenticate(const net::ServerRequest& request) const;

  TaskService* const tasks_;
  const Authenticator* const auth_;
  AccountView* const accounts_;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_LEGACY_HANDLER_H_
