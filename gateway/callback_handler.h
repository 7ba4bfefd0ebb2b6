// POST /v1/callbacks/<task id>: completion notices that upstreams (kie)
// send for a task. No API key: the task's provider checks the signature.
// The answer is {"status":"ok"} (also for a task that has finished) or
// {"error":...} with the status mapped to HTTP (gateway/service_codec.h).
#ifndef MEDIAGW_GATEWAY_CALLBACK_HANDLER_H_
#define MEDIAGW_GATEWAY_CALLBACK_HANDLER_H_

#include "absl/strings/string_view.h"
#include "core/task_service.h"
#include "gateway/route_table.h"

namespace mediagw::gateway {

class CallbackHandler {
 public:
  static constexpr absl::string_view kPathPrefix = "/v1/callbacks/";

  // `tasks` must outlive the handler.
  explicit CallbackHandler(TaskService* tasks) : tasks_(tasks) {}
  void Register(RouteTable& table);

 private:
  void Handle(net::ServerRequest request,
              std::shared_ptr<net::ResponseWriter> writer);
  TaskService* const tasks_;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_CALLBACK_HANDLER_H_
