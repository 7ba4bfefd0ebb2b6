#include "gateway/task_event_stream.h"

#include <utility>

#include "common/status_mapping.h"
#include "core/state_machine.h"
#include "gateway/rest_codec.h"
#include "gateway/route_table.h"

namespace mediagw::gateway {

void TaskEventStream::Start(TaskService* tasks, Options options,
                            const Caller& caller, const std::string& id,
                            int64_t last_event_id,
                            std::shared_ptr<net::ResponseWriter> writer) {
  auto stream =
      std::make_shared<TaskEventStream>(options, last_event_id, writer);
  // The close hook is the one strong reference: the stream lives as long as
  // its connection. Everything else holds it weakly, so no cycle outlives
  // the connection (the hook is dropped once it has run).
  writer->OnClose([stream] { stream->OnClosed(); });
  std::weak_ptr<TaskEventStream> weak = stream;
  auto watch = tasks->Watch(
      caller, id,
      [weak](const v1::Task& task) {
        if (auto self = weak.lock()) self->OnEvent(task);
      },
      [weak](absl::Status status) {
        if (auto self = weak.lock()) self->OnError(status);
      });
  bool closed;
  {
    absl::MutexLock l(&stream->mu_);
    closed = stream->closed_;
    if (!closed) stream->watch_ = watch;
  }
  if (closed && watch != nullptr) watch->Stop();
}

void TaskEventStream::OnEvent(const v1::Task& task) {
  absl::MutexLock l(&mu_);
  if (finished_) return;
  const bool terminal = IsTerminal(task.state());
  if (task.version() <= last_version_) {
    // The client saw this version (or a later one) before it reconnected.
    if (!terminal) {
      if (!started_) StartLocked();
      return;
    }
    if (!started_) {
      // Already ended when the client last heard: 204 stops EventSource
      // reconnecting, where an empty stream would make it try forever.
      net::ServerResponse resp;
      resp.status = 204;
      resp.content_type.clear();
      writer_->Send(std::move(resp));
    } else {
      writer_->End();
    }
    FinishLocked();
    return;
  }
  last_version_ = task.version();
  if (!started_) StartLocked();
  if (writing_) {
    pending_ = task;
    return;
  }
  WriteLocked(EncodeTaskEvent(task));
  if (terminal) {
    writer_->End();
    FinishLocked();
  }
}

void TaskEventStream::OnError(const absl::Status& status) {
  absl::MutexLock l(&mu_);
  if (finished_) return;
  if (!started_) {
    SendJson(writer_, ToHttpStatus(status), EncodeRestError(status));
  } else {
    writer_->End();
  }
  FinishLocked();
}

void TaskEventStream::OnWritten() {
  absl::MutexLock l(&mu_);
  writing_ = false;
  if (finished_ || !pending_) return;
  v1::Task task = *std::move(pending_);
  pending_.reset();
  WriteLocked(EncodeTaskEvent(task));
  if (IsTerminal(task.state())) {
    writer_->End();
    FinishLocked();
  }
}

void TaskEventStream::OnHeartbeat() {
  absl::MutexLock l(&mu_);
  heartbeat_ = 0;
  if (finished_) return;
  // A reader still taking the last chunk needs no sign of life; nothing
  // queues up behind it.
  if (started_ && !writing_) WriteLocked(std::string(kSseHeartbeat));
  ArmHeartbeatLocked();
}

void TaskEventStream::OnClosed() {
  std::shared_ptr<TaskWatch> watch;
  {
    absl::MutexLock l(&mu_);
    closed_ = true;
    FinishLocked();
    watch = std::move(watch_);
    watch_.reset();
  }
  // Outside the lock: Stop takes the watch's and the event bus's locks.
  if (watch != nullptr) watch->Stop();
}

void TaskEventStream::StartLocked() {
  started_ = true;
  writer_->StartStream(200, {{"Content-Type", "text/event-stream"},
                             {"Cache-Control", "no-cache"},
                             {"X-Accel-Buffering", "no"}});
  ArmHeartbeatLocked();
}

void TaskEventStream::WriteLocked(std::string chunk) {
  writing_ = true;
  std::weak_ptr<TaskEventStream> weak = weak_from_this();
  writer_->WriteThen(std::move(chunk), [weak] {
    if (auto self = weak.lock()) self->OnWritten();
  });
}

void TaskEventStream::FinishLocked() {
  finished_ = true;
  pending_.reset();
  if (heartbeat_ != 0 && options_.scheduler != nullptr) {
    options_.scheduler->Cancel(heartbeat_);
  }
  heartbeat_ = 0;
}

void TaskEventStream::ArmHeartbeatLocked() {
  if (options_.scheduler == nullptr || heartbeat_ != 0 || finished_) return;
  std::weak_ptr<TaskEventStream> weak = weak_from_this();
  heartbeat_ = options_.scheduler->RunAt(
      options_.scheduler->Now() + options_.heartbeat, [weak] {
        if (auto self = weak.lock()) self->OnHeartbeat();
      });
}

}  // namespace mediagw::gateway
