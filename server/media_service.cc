#include "server/media_service.h"

#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/request_metrics.h"
#include "common/status_mapping.h"
#include "core/state_machine.h"
#include "server/call_log.h"
#include "server/proto_parse.h"

namespace mediagw {

// Each open StreamTask call's drain action, by call. Thread-safe; actions
// run outside the lock.
class MediaServiceImpl::OpenStreams {
 public:
  // Registers `drain`; 0 once draining (the call must be refused).
  uint64_t Add(std::function<void()> drain) {
    absl::MutexLock l(&mu_);
    if (draining_) return 0;
    const uint64_t id = next_id_++;
    open_.emplace(id, std::move(drain));
    return id;
  }
  void Remove(uint64_t id) {
    std::function<void()> gone;  // destroyed outside the lock
    absl::MutexLock l(&mu_);
    auto it = open_.find(id);
    if (it == open_.end()) return;
    gone = std::move(it->second);
    open_.erase(it);
  }
  // Marks draining and returns every registered action.
  std::vector<std::function<void()>> BeginDrain() {
    absl::MutexLock l(&mu_);
    draining_ = true;
    std::vector<std::function<void()>> out;
    out.reserve(open_.size());
    for (const auto& [id, drain] : open_) out.push_back(drain);
    return out;
  }

 private:
  absl::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, std::function<void()>> open_
      ABSL_GUARDED_BY(mu_);
};

namespace {

void Finish(grpc::ServerUnaryReactor* reactor,
            const std::shared_ptr<CallLog>& log, grpc::Status status) {
  FinishCall(reactor, log, std::move(status));
}

// Finishes `reactor` with the result of a TaskService call.
template <typename T>
std::function<void(absl::StatusOr<T>)> FinishWith(
    grpc::ServerUnaryReactor* reactor, std::shared_ptr<CallLog> log,
    grpc::ByteBuffer* response) {
  return [reactor, log, response](absl::StatusOr<T> result) {
    if (!result.ok()) {
      Finish(reactor, log, ToGrpcStatus(result.status()));
      return;
    }
    Finish(reactor, log, ToGrpcStatus(SerializeReply(*result, response)));
  };
}

// GetTask, CancelTask and StreamTask need an id.
absl::Status RequireId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("id is required");
  return absl::OkStatus();
}

// Streams task events. Events arrive from TaskService threads; writes go
// out one at a time (gRPC allows one outstanding write per stream).
// Every watcher of a task is sent the same event, one after another on the
// fan-out thread: the last serialization is reused. A task's id and version
// fix its content. (Kept as a string: no gRPC object lives past a thread.)
absl::Status SerializeEvent(const v1::Task& task, grpc::ByteBuffer* out) {
  thread_local std::string last_id;
  thread_local int64_t last_version = 0;
  thread_local std::string last_bytes;
  if (task.version() <= 0 || task.version() != last_version ||
      task.id() != last_id) {
    v1::TaskEvent ev;
    *ev.mutable_task() = task;
    std::string bytes;
    if (!ev.SerializeToString(&bytes)) {
      return absl::InternalError("cannot serialize the event");
    }
    if (task.version() <= 0) {
      grpc::Slice slice(bytes);
      *out = grpc::ByteBuffer(&slice, 1);
      return absl::OkStatus();
    }
    last_id = task.id();
    last_version = task.version();
    last_bytes = std::move(bytes);
  }
  grpc::Slice slice(last_bytes);
  *out = grpc::ByteBuffer(&slice, 1);
  return absl::OkStatus();
}

class StreamReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  using OpenStreams = MediaServiceImpl::OpenStreams;

  StreamReactor(TaskService* tasks, std::shared_ptr<CallLog> log,
                std::shared_ptr<OpenStreams> open)
      : tasks_(tasks), log_(std::move(log)), open_(std::move(open)) {
    GrpcStreamOpened();
  }

  // Finishes the call before it started watching.
  void Refuse(grpc::Status status) { state_->Fail(std::move(status)); }

  void Start(const Caller& caller, const std::string& id) {
    // Callbacks hold only the shared state; they never touch a deleted
    // reactor because OnDone clears `reactor` under the lock first.
    auto state = state_;
    open_id_ = open_->Add([state] { state->Drain(); });
    if (open_id_ == 0) {
      state->Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               "server is shutting down"));
      return;
    }
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
    if (open_id_ != 0) open_->Remove(open_id_);
    log_->Done(state_->Detach());
    GrpcStreamClosed();
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
    grpc::ByteBuffer last ABSL_GUARDED_BY(mu);  // the latest event
    bool has_last ABSL_GUARDED_BY(mu) = false;
    grpc::Status final_status ABSL_GUARDED_BY(mu);

    void FinishLocked(grpc::Status st) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      finished = true;
      final_status = st;
      reactor->Finish(std::move(st));
    }

    void Push(const v1::Task& task) {
      absl::MutexLock l(&mu);
      if (reactor == nullptr || finished) return;
      grpc::ByteBuffer bytes;
      if (!SerializeEvent(task, &bytes).ok()) {
        FinishLocked(grpc::Status(grpc::StatusCode::INTERNAL,
                                  "cannot serialize the event"));
        return;
      }
      // A slow reader never grows a buffer: what it has not taken yet
      // collapses to the latest snapshot (progress only rises, and a
      // terminal state is always the last event).
      queue.clear();
      last = bytes;  // shares the slices
      has_last = true;
      queue.push_back(std::move(bytes));
      if (IsTerminal(task.state())) end_after_write = true;
      MaybeWriteLocked();
    }

    // gRPC calls are non-blocking, so issuing them under our own lock keeps
    // the write order without ever waiting.
    void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      if (writing || finished || reactor == nullptr) return;
      if (queue.empty()) {
        if (end_after_write) FinishLocked(grpc::Status::OK);
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
          FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                    "stream write failed"));
        }
        return;
      }
      MaybeWriteLocked();
    }

    // Shutdown: the task as it is now is the final event, then OK. Events
    // that arrive before it is written only replace it.
    void Drain() {
      absl::MutexLock l(&mu);
      if (finished || reactor == nullptr) return;
      if (!has_last) {
        FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                  "server is shutting down"));
        return;
      }
      if (queue.empty()) queue.push_back(last);
      end_after_write = true;
      MaybeWriteLocked();
    }

    void Fail(grpc::Status st) {
      absl::MutexLock l(&mu);
      if (finished || reactor == nullptr) return;
      FinishLocked(std::move(st));
    }

    // The status the call finished with.
    grpc::Status Detach() {
      absl::MutexLock l(&mu);
      reactor = nullptr;
      return final_status;
    }
  };

  TaskService* const tasks_;
  const std::shared_ptr<CallLog> log_;
  const std::shared_ptr<OpenStreams> open_;
  uint64_t open_id_ = 0;  // in open_, 0 when not registered
  std::shared_ptr<State> state_ = [this] {
    auto s = std::make_shared<State>();
    absl::MutexLock l(&s->mu);
    s->reactor = this;
    return s;
  }();
  std::shared_ptr<TaskWatch> watch_;
};

}  // namespace

MediaServiceImpl::MediaServiceImpl(TaskService* tasks,
                                   const Authenticator* auth,
                                   AccountView* accounts)
    : tasks_(tasks),
      auth_(auth),
      accounts_(accounts),
      streams_(std::make_shared<OpenStreams>()) {}

MediaServiceImpl::~MediaServiceImpl() = default;

void MediaServiceImpl::Drain() {
  for (const auto& drain : streams_->BeginDrain()) drain();
}

absl::StatusOr<Caller> MediaServiceImpl::Authenticate(
    grpc::CallbackServerContext* ctx) const {
  return auth_->Authenticate(Authenticator::ExtractKey(
      Metadata(ctx, "x-api-key"), Metadata(ctx, "authorization")));
}

template <typename Request, typename Call>
grpc::ServerUnaryReactor* MediaServiceImpl::Unary(
    grpc::CallbackServerContext* ctx, absl::string_view method,
    const grpc::ByteBuffer* request, grpc::ByteBuffer* response, Call&& call) {
  auto* reactor = ctx->DefaultReactor();
  auto log = std::make_shared<CallLog>(ctx, method);
  auto caller = Authenticate(ctx);
  if (!caller.ok()) {
    Finish(reactor, log, ToGrpcStatus(caller.status()));
    return reactor;
  }
  caller->request_id = log->request_id();
  log->SetKeyName(caller->key_name);
  Request parsed;
  if (auto st = ParseRequest(*request, &parsed); !st.ok()) {
    Finish(reactor, log, ToGrpcStatus(st));
    return reactor;
  }
  call(*caller, std::move(parsed), reactor, log, response);
  return reactor;
}

grpc::ServerUnaryReactor* MediaServiceImpl::SubmitImage(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<v1::SubmitImageRequest>(
      ctx, "/mediagw.v1.MediaService/SubmitImage", request, response,
      [this](const Caller& c, v1::SubmitImageRequest req, auto* reactor,
             const std::shared_ptr<CallLog>& log, grpc::ByteBuffer* out) {
        tasks_->SubmitImage(c, std::move(req),
                            FinishWith<v1::Task>(reactor, log, out));
      });
}

grpc::ServerUnaryReactor* MediaServiceImpl::SubmitVideo(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<v1::SubmitVideoRequest>(
      ctx, "/mediagw.v1.MediaService/SubmitVideo", request, response,
      [this](const Caller& c, v1::SubmitVideoRequest req, auto* reactor,
             const std::shared_ptr<CallLog>& log, grpc::ByteBuffer* out) {
        tasks_->SubmitVideo(c, std::move(req),
                            FinishWith<v1::Task>(reactor, log, out));
      });
}

grpc::ServerUnaryReactor* MediaServiceImpl::GetTask(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<v1::GetTaskRequest>(
      ctx, "/mediagw.v1.MediaService/GetTask", request, response,
      [this](const Caller& c, v1::GetTaskRequest req, auto* reactor,
             const std::shared_ptr<CallLog>& log, grpc::ByteBuffer* out) {
        if (auto st = RequireId(req.id()); !st.ok()) {
          Finish(reactor, log, ToGrpcStatus(st));
          return;
        }
        tasks_->GetTask(c, req.id(), FinishWith<v1::Task>(reactor, log, out));
      });
}

grpc::ServerUnaryReactor* MediaServiceImpl::CancelTask(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<v1::CancelTaskRequest>(
      ctx, "/mediagw.v1.MediaService/CancelTask", request, response,
      [this](const Caller& c, v1::CancelTaskRequest req, auto* reactor,
             const std::shared_ptr<CallLog>& log, grpc::ByteBuffer* out) {
        if (auto st = RequireId(req.id()); !st.ok()) {
          Finish(reactor, log, ToGrpcStatus(st));
          return;
        }
        tasks_->CancelTask(c, req.id(), FinishWith<v1::Task>(reactor, log, out));
      });
}

grpc::ServerUnaryReactor* MediaServiceImpl::ListTasks(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<v1::ListTasksRequest>(
      ctx, "/mediagw.v1.MediaService/ListTasks", request, response,
      [this](const Caller& c, v1::ListTasksRequest req, auto* reactor,
             const std::shared_ptr<CallLog>& log, grpc::ByteBuffer* out) {
        tasks_->ListTasks(c, std::move(req),
                          FinishWith<v1::ListTasksResponse>(reactor, log, out));
      });
}

grpc::ServerUnaryReactor* MediaServiceImpl::GetAccount(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<v1::GetAccountRequest>(
      ctx, "/mediagw.v1.MediaService/GetAccount", request, response,
      [this](const Caller& c, v1::GetAccountRequest, auto* reactor,
             const std::shared_ptr<CallLog>& log, grpc::ByteBuffer* out) {
        if (accounts_ == nullptr) {
          Finish(reactor, log,
                 grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                              "accounts are not served here"));
          return;
        }
        accounts_->AccountOf(c.owner(),
                             FinishWith<v1::Account>(reactor, log, out));
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* MediaServiceImpl::StreamTask(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) {
  auto log = std::make_shared<CallLog>(ctx,
                                      "/mediagw.v1.MediaService/StreamTask");
  auto* reactor = new StreamReactor(tasks_, log, streams_);
  auto caller = Authenticate(ctx);
  if (!caller.ok()) {
    reactor->Refuse(ToGrpcStatus(caller.status()));
    return reactor;
  }
  caller->request_id = log->request_id();
  log->SetKeyName(caller->key_name);
  v1::StreamTaskRequest parsed;
  absl::Status st = ParseRequest(*request, &parsed);
  if (st.ok()) st = RequireId(parsed.id());
  if (!st.ok()) {
    reactor->Refuse(ToGrpcStatus(st));
    return reactor;
  }
  reactor->Start(*caller, parsed.id());
  return reactor;
}

}  // namespace mediagw
