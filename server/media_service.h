// gRPC adapter for mediagw.v1.MediaService over TaskService (callback API).
// Every method is registered raw (ByteBuffer in and out): the request is
// parsed here (server/proto_parse.h) so that a string field with invalid
// UTF-8 is answered INVALID_ARGUMENT "<field>: not valid UTF-8" (and any
// other unparsable request "malformed request") instead of gRPC's bare
// INTERNAL. Each call authenticates from metadata (`x-api-key`, or
// `authorization: Bearer <key>` / `Token <key>`), hands the request to
// TaskService and finishes from TaskService's callback; no reaction ever
// blocks. StreamTask uses one write reactor per call that deletes itself in
// OnDone.
//
// Shutdown: Drain() ends every open StreamTask with a final event, the task
// as it is then, and status OK (a watcher that has not seen a terminal
// state resumes with StreamTask or GetTask against a serving instance);
// a stream whose task was not read yet ends UNAVAILABLE "server is shutting
// down", and so does every StreamTask that arrives after Drain.
#ifndef MEDIAGW_SERVER_MEDIA_SERVICE_H_
#define MEDIAGW_SERVER_MEDIA_SERVICE_H_

#include <memory>

#include "core/account_view.h"
#include "core/auth.h"
#include "core/task_service.h"
#include "grpcpp/support/byte_buffer.h"
#include "mediagw/v1/media.grpc.pb.h"

namespace mediagw {

using RawMediaService = v1::MediaService::WithRawCallbackMethod_SubmitImage<
    v1::MediaService::WithRawCallbackMethod_SubmitVideo<
        v1::MediaService::WithRawCallbackMethod_GetTask<
            v1::MediaService::WithRawCallbackMethod_StreamTask<
                v1::MediaService::WithRawCallbackMethod_CancelTask<
                    v1::MediaService::WithRawCallbackMethod_ListTasks<
                        v1::MediaService::WithRawCallbackMethod_GetAccount<
                            v1::MediaService::Service>>>>>>>;

class MediaServiceImpl final : public RawMediaService {
 public:
  // All must outlive the service. Without `accounts` GetAccount is
  // UNIMPLEMENTED.
  MediaServiceImpl(TaskService* tasks, const Authenticator* auth,
                   AccountView* accounts = nullptr);
  ~MediaServiceImpl() override;

  // See the shutdown note above. Thread-safe; returns at once (each stream
  // ends once its final write is out, or when gRPC cuts it).
  void Drain();

  // The StreamTask calls open now; defined and used in media_service.cc only.
  class OpenStreams;

  grpc::ServerUnaryReactor* SubmitImage(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SubmitVideo(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetTask(grpc::CallbackServerContext* ctx,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CancelTask(grpc::CallbackServerContext* ctx,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListTasks(grpc::CallbackServerContext* ctx,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  // The caller's own account (Caller::owner()), from AccountView.
  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* ctx,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* StreamTask(
      grpc::CallbackServerContext* ctx,
      const grpc::ByteBuffer* request) override;

 private:
  absl::StatusOr<Caller> Authenticate(grpc::CallbackServerContext* ctx) const;
  // Authenticates and parses the request as `Request` (finishing the
  // reactor on failure), then runs `call(caller, std::move(parsed),
  // reactor, response)`, which must finish the reactor.
  template <typename Request, typename Call>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx,
                                  absl::string_view method,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response, Call&& call);

  TaskService* const tasks_;
  const Authenticator* const auth_;
  AccountView* const accounts_;
  const std::shared_ptr<OpenStreams> streams_;
};

}  // namespace mediagw

#endif  // MEDIAGW_SERVER_MEDIA_SERVICE_H_
