#include "server/media_service.h"

#include <deque>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "common/status_mapping.h"
#include "core/state_machine.h"
#include "server/proto_parse.h"

namespace mediagw {
namespace {

std::string Metadata(grpc::CallbackServerContext* ctx, const char* name) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(name);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// Finishes `reactor` with the result of a TaskService call.
template <typename T>
std::function<void(absl::StatusOr<T>)> FinishWith(
    grpc::ServerUnaryReactor* reactor, grpc::ByteBuffer* response) {
  return [reactor, response](absl::StatusOr<T> result) {
    if (!result.ok()) {
      reactor->Finish(ToGrpcStatus(result.status()));
      return;
    }
    reactor->Finish(ToGrpcStatus(SerializeReply(*result, response)));
  };
}

// GetTask, CancelTask and StreamTask need an id.
absl::Status RequireId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("id is required");
  return absl::OkStatus();
}

// Streams task events. Events arrive from TaskService threads; writes go
// out one at a time (gRPC allows one outstanding write per stream).
class StreamReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit StreamReactor(TaskService* tasks) : tasks_(tasks) {}

  void Start(const Caller& caller, const std::string& id) {
    // Callbacks hold only the shared state; they never touch a deleted
    // reactor because OnDone clears `reactor` under the lock first.
    auto state = state_;
    watch_ = tasks_->Watch(
        caller, id,
        [state](const v1::Task& task) { state->Push(task); },
        [state](absl::Status st) { state->Fail(ToGrpcStatus(st)); });
  }

  void OnWriteDone(bool ok) override { state_->WriteDone(ok); }

  void OnCancel() override {
    if (watch_) watch_->Stop();
    state_->Fail(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }

  void OnDone() override {
    if (watch_) watch_->Stop();
    state_->Detach();
    delete this;
  }

 private:
  struct State {
    absl::Mutex mu;
    StreamReactor* reactor ABSL_GUARDED_BY(mu);
    std::deque<grpc::ByteBuffer> queue ABSL_GUARDED_BY(mu);
    grpc::ByteBuffer in_flight ABSL_GUARDED_BY(mu);
    bool writing ABSL_GUARDED_BY(mu) = false;
    bool finished ABSL_GUARDED_BY(mu) = false;
    bool end_after_write ABSL_GUARDED_BY(mu) = false;

    void Push(const v1::Task& task) {
      absl::MutexLock l(&mu);
      if (reactor == nullptr || finished) return;
      v1::TaskEvent ev;
      *ev.mutable_task() = task;
      grpc::ByteBuffer bytes;
      if (!SerializeReply(ev, &bytes).ok()) {
        finished = true;
        reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL,
                                     "cannot serialize the event"));
        return;
      }
      queue.push_back(std::move(bytes));
      if (IsTerminal(task.state())) end_after_write = true;
      MaybeWriteLocked();
    }

    // gRPC calls are non-blocking, so issuing them under our own lock keeps
    // the write order without ever waiting.
    void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      if (writing || finished || reactor == nullptr) return;
      if (queue.empty()) {
        if (end_after_write) {
          finished = true;
          reactor->Finish(grpc::Status::OK);
        }
        return;
      }
      in_flight = std::move(queue.front());
      queue.pop_front();
      writing = true;
      reactor->StartWrite(&in_flight);
    }

    void WriteDone(bool ok) {
      absl::MutexLock l(&mu);
      writing = false;
      if (!ok) {
        if (!finished && reactor != nullptr) {
          finished = true;
          reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                       "stream write failed"));
        }
        return;
      }
      MaybeWriteLocked();
    }

    void Fail(grpc::Status st) {
      absl::MutexLock l(&mu);
      if (finished || reactor == nullptr) return;
      finished = true;
      reactor->Finish(std::move(st));
    }

    void Detach() {
      absl::MutexLock l(&mu);
      reactor = nullptr;
    }
  };

  TaskService* const tasks_;
  std::shared_ptr<State> state_ = [this] {
    auto s = std::make_shared<State>();
    absl::MutexLock l(&s->mu);
    s->reactor = this;
    return s;
  }();
  std::shared_ptr<TaskWatch> watch_;
};

}  // namespace

absl::StatusOr<Caller> MediaServiceImpl::Authenticate(
    grpc::CallbackServerContext* ctx) const {
  return auth_->Authenticate(Authenticator::ExtractKey(
      Metadata(ctx, "x-api-key"), Metadata(ctx, "authorization")));
}

template <typename Request, typename Call>
grpc::ServerUnaryReactor* MediaServiceImpl::Unary(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response, Call&& call) {
  auto* reactor = ctx->DefaultReactor();
  auto caller = Authenticate(ctx);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  Request parsed;
  if (auto st = ParseRequest(*request, &parsed); !st.ok()) {
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  call(*caller, std::move(parsed), reactor, response);
  return reactor;
}

grpc::ServerUnaryReactor* MediaServiceImpl::SubmitImage(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<v1::SubmitImageRequest>(
      ctx, request, response,
      [this](const Caller& c, v1::SubmitImageRequest req, auto* reactor,
             grpc::ByteBuffer* out) {
        tasks_->SubmitImage(c, std::move(req),
                            FinishWith<v1::Task>(reactor, out));
      });
}

grpc::ServerUnaryReactor* MediaServiceImpl::SubmitVideo(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<v1::SubmitVideoRequest>(
      ctx, request, response,
      [this](const Caller& c, v1::SubmitVideoRequest req, auto* reactor,
             grpc::ByteBuffer* out) {
        tasks_->SubmitVideo(c, std::move(req),
                            FinishWith<v1::Task>(reactor, out));
      });
}

grpc::ServerUnaryReactor* MediaServiceImpl::GetTask(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<v1::GetTaskRequest>(
      ctx, request, response,
      [this](const Caller& c, v1::GetTaskRequest req, auto* reactor,
             grpc::ByteBuffer* out) {
        if (auto st = RequireId(req.id()); !st.ok()) {
          reactor->Finish(ToGrpcStatus(st));
          return;
        }
        tasks_->GetTask(c, req.id(), FinishWith<v1::Task>(reactor, out));
      });
}

grpc::ServerUnaryReactor* MediaServiceImpl::CancelTask(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<v1::CancelTaskRequest>(
      ctx, request, response,
      [this](const Caller& c, v1::CancelTaskRequest req, auto* reactor,
             grpc::ByteBuffer* out) {
        if (auto st = RequireId(req.id()); !st.ok()) {
          reactor->Finish(ToGrpcStatus(st));
          return;
        }
        tasks_->CancelTask(c, req.id(), FinishWith<v1::Task>(reactor, out));
      });
}

grpc::ServerUnaryReactor* MediaServiceImpl::ListTasks(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<v1::ListTasksRequest>(
      ctx, request, response,
      [this](const Caller& c, v1::ListTasksRequest req, auto* reactor,
             grpc::ByteBuffer* out) {
        tasks_->ListTasks(c, std::move(req),
                          FinishWith<v1::ListTasksResponse>(reactor, out));
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* MediaServiceImpl::StreamTask(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) {
  auto* reactor = new StreamReactor(tasks_);
  auto caller = Authenticate(ctx);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  v1::StreamTaskRequest parsed;
  absl::Status st = ParseRequest(*request, &parsed);
  if (st.ok()) st = RequireId(parsed.id());
  if (!st.ok()) {
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  reactor->Start(*caller, parsed.id());
  return reactor;
}

}  // namespace mediagw
