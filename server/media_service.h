// gRPC adapter for mediagw.v1.MediaService over TaskService (callback API).
// Each call authenticates from metadata (`x-api-key`, or `authorization:
// Bearer <key>` / `Token <key>`), hands the request to TaskService and
// finishes from TaskService's callback; no reaction ever blocks.
// StreamTask uses one write reactor per call that deletes itself in OnDone.
#ifndef MEDIAGW_SERVER_MEDIA_SERVICE_H_
#define MEDIAGW_SERVER_MEDIA_SERVICE_H_

#include "core/auth.h"
#include "core/task_service.h"
#include "mediagw/v1/media.grpc.pb.h"

namespace mediagw {

class MediaServiceImpl final : public v1::MediaService::CallbackService {
 public:
  // Both must outlive the service.
  MediaServiceImpl(TaskService* tasks, const Authenticator* auth)
      : tasks_(tasks), auth_(auth) {}

  grpc::ServerUnaryReactor* SubmitImage(grpc::CallbackServerContext* ctx,
                                        const v1::SubmitImageRequest* request,
                                        v1::Task* response) override;
  grpc::ServerUnaryReactor* SubmitVideo(grpc::CallbackServerContext* ctx,
                                        const v1::SubmitVideoRequest* request,
                                        v1::Task* response) override;
  grpc::ServerUnaryReactor* GetTask(grpc::CallbackServerContext* ctx,
                                    const v1::GetTaskRequest* request,
                                    v1::Task* response) override;
  grpc::ServerUnaryReactor* CancelTask(grpc::CallbackServerContext* ctx,
                                       const v1::CancelTaskRequest* request,
                                       v1::Task* response) override;
  grpc::ServerUnaryReactor* ListTasks(grpc::CallbackServerContext* ctx,
                                      const v1::ListTasksRequest* request,
                                      v1::ListTasksResponse* response) override;
  grpc::ServerWriteReactor<v1::TaskEvent>* StreamTask(
      grpc::CallbackServerContext* ctx,
      const v1::StreamTaskRequest* request) override;

 private:
  absl::StatusOr<Caller> Authenticate(grpc::CallbackServerContext* ctx) const;
  // Authenticates, checks `required_id` (when given) is set, then runs
  // `call(caller, done)`; `done` finishes the reactor with the result.
  template <typename Response, typename Call>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx,
                                  const std::string* required_id,
                                  Response* response, Call&& call);

  TaskService* const tasks_;
  const Authenticator* const auth_;
};

}  // namespace mediagw

#endif  // MEDIAGW_SERVER_MEDIA_SERVICE_H_
