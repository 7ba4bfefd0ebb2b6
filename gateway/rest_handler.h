// The native REST surface (docs/API.md "Native REST"), the gRPC API's
// methods over HTTP with proto JSON bodies (gateway/rest_codec.h):
//   POST /v1/tasks                  submit an image or a video task
//   GET  /v1/tasks                  list the caller's tasks (cursor paging,
//                                   state filter)
//   GET  /v1/tasks/{id}             one task
//   POST /v1/tasks/{id}/cancel      cancel it
//   GET  /v1/tasks/{id}/events      its changes as server-sent events
//                                   (gateway/task_event_stream.h)
// Every route needs a key (x-api-key, or Authorization Bearer / Token),
// checked from the request's head before a body is read. A submit honours
// an Idempotency-Key header (it wins over the body's idempotency_key).
// Errors use the REST envelope with ToHttpStatus's HTTP status.
//
// Threading: runs on HTTP server threads and never blocks; answers are
// sent from TaskService callbacks.
#ifndef MEDIAGW_GATEWAY_REST_HANDLER_H_
#define MEDIAGW_GATEWAY_REST_HANDLER_H_

#include <memory>
#include <optional>
#include <string>

#include "core/auth.h"
#include "core/task_service.h"
#include "gateway/route_table.h"
#include "gateway/task_event_stream.h"

namespace mediagw::gateway {

class RestHandler {
 public:
  // `tasks`, `auth` and `events.scheduler` must outlive the handler.
  RestHandler(TaskService* tasks, const Authenticator* auth,
              TaskEventStream::Options events)
      : tasks_(tasks), auth_(auth), events_(events) {}
  void Register(RouteTable& table);

  // A request without a valid key gets the 401 Handle would send, before
  // its body is read; nullopt lets it through.
  std::optional<net::ServerResponse> CheckHead(
      const net::ServerRequest& head) const;

 private:
  // Authenticates and notes the caller on the writer; nullopt after an
  // error answer.
  std::optional<Caller> Begin(const net::ServerRequest& request,
                              const std::shared_ptr<net::ResponseWriter>&
                                  writer) const;
  void Tasks(net::ServerRequest request,
             std::shared_ptr<net::ResponseWriter> writer);
  void Submit(const Caller& caller, net::ServerRequest& request,
              std::shared_ptr<net::ResponseWriter> writer);
  void List(const Caller& caller, const net::ServerRequest& request,
            std::shared_ptr<net::ResponseWriter> writer);
  void Get(net::ServerRequest request,
           std::shared_ptr<net::ResponseWriter> writer);
  void Cancel(net::ServerRequest request,
              std::shared_ptr<net::ResponseWriter> writer);
  void Events(net::ServerRequest request,
              std::shared_ptr<net::ResponseWriter> writer);

  TaskService* const tasks_;
  const Authenticator* const auth_;
  const TaskEventStream::Options events_;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_REST_HANDLER_H_
