// The kie-compatible jobs surface (seed 002; docs/API.md "kie-compatible
// jobs"):
//   POST /api/v1/jobs/createTask          {"model","input":{...},"callBackUrl"}
//   GET  /api/v1/jobs/recordInfo?taskId=  kie's task detail
// `model` picks a workflow from the kie model table; an image-to-video
// workflow takes input.image_urls[0] as its image. `callBackUrl` is
// validated and stored with the task as its webhook_url. As kie does, every
// answer is HTTP 200 with {"code","msg","data"}; the body code carries the
// outcome (gateway/kie_jobs_codec.h). The key (Authorization: Bearer, or
// x-api-key) is checked from the head.
//
// Threading: runs on HTTP server threads and never blocks; answers are
// sent from TaskService callbacks.
#ifndef MEDIAGW_GATEWAY_KIE_JOBS_HANDLER_H_
#define MEDIAGW_GATEWAY_KIE_JOBS_HANDLER_H_

#include <memory>
#include <optional>

#include "core/auth.h"
#include "core/task_service.h"
#include "gateway/model_table.h"
#include "gateway/route_table.h"

namespace mediagw::gateway {

class KieJobsHandler {
 public:
  // `tasks` and `auth` must outlive the handler.
  KieJobsHandler(TaskService* tasks, const Authenticator* auth,
                 ModelTable models)
      : tasks_(tasks), auth_(auth), models_(std::move(models)) {}

  void Register(RouteTable& table);

  // A request without a valid key gets {"code":401,...}, unread.
  std::optional<net::ServerResponse> CheckHead(
      const net::ServerRequest& head) const;

 private:
  void CreateTask(net::ServerRequest request,
                  std::shared_ptr<net::ResponseWriter> writer);
  void RecordInfo(const net::ServerRequest& request,
                  std::shared_ptr<net::ResponseWriter> writer);

  TaskService* const tasks_;
  const Authenticator* const auth_;
  const ModelTable models_;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_KIE_JOBS_HANDLER_H_
