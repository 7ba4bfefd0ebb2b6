// GET /v1/tasks/{id}/events: one task's changes as server-sent events
// (text/event-stream), over TaskService::Watch.
//
// - The first event is the task's current snapshot, then one per change;
//   each event's `id:` is the task's version and its `data:` the proto JSON
//   of the Task (gateway/rest_codec.h).
// - Last-Event-ID (the version a reconnecting client saw last): snapshots
//   and changes not newer are skipped, so a client gets the current
//   snapshot only if it is newer, then the rest. When the task had already
//   ended at that version the answer is 204, which tells EventSource
//   clients not to reconnect.
// - A comment line every `heartbeat` while nothing else is sent.
// - The stream ends after the terminal state's event.
// - A slow reader never grows a buffer: one chunk is written at a time
//   (ResponseWriter::WriteThen), and what changes meanwhile collapses to the
//   latest snapshot (progress only rises, the terminal state is last).
// - An unknown or foreign task is 404 in the REST error envelope, before
//   any stream starts.
//
// Threading: Start runs on an HTTP server thread and returns at once;
// events arrive on TaskService threads, heartbeats on the scheduler's loop,
// write completions on server threads. Nothing blocks: writer calls only
// queue. The stream keeps itself alive until the connection closes.
#ifndef MEDIAGW_GATEWAY_TASK_EVENT_STREAM_H_
#define MEDIAGW_GATEWAY_TASK_EVENT_STREAM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/auth.h"
#include "core/http_client.h"
#include "core/task_service.h"
#include "net/http_server.h"

namespace mediagw::gateway {

class TaskEventStream
    : public std::enable_shared_from_this<TaskEventStream> {
 public:
  struct Options {
    // Null: no heartbeats.
    Scheduler* scheduler = nullptr;
    absl::Duration heartbeat = absl::Seconds(15);
  };

  // Watches task `id` for `caller` and answers on `writer`. `tasks` and
  // the scheduler must outlive the stream (the server stops first).
  static void Start(TaskService* tasks, Options options, const Caller& caller,
                    const std::string& id, int64_t last_event_id,
                    std::shared_ptr<net::ResponseWriter> writer);

  TaskEventStream(Options options, int64_t last_event_id,
                  std::shared_ptr<net::ResponseWriter> writer)
      : options_(options),
        last_version_(last_event_id),
        writer_(std::move(writer)) {}

 private:
  void OnEvent(const v1::Task& task);
  void OnError(const absl::Status& status);
  void OnWritten();
  void OnHeartbeat();
  void OnClosed();

  // Writer calls below only queue work on the connection, so they are made
  // under mu_ to keep the order of what goes out.
  void StartLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteLocked(std::string chunk) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the exchange: no more events, timers or watch.
  void FinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ArmHeartbeatLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  absl::Mutex mu_;
  int64_t last_version_ ABSL_GUARDED_BY(mu_);
  const std::shared_ptr<net::ResponseWriter> writer_;
  std::shared_ptr<TaskWatch> watch_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;   // the stream's head is out
  bool writing_ ABSL_GUARDED_BY(mu_) = false;   // a chunk is on its way
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // answered in full, or closed
  bool closed_ ABSL_GUARDED_BY(mu_) = false;    // the connection is over
  // The latest change not yet written (a slow reader's backlog, collapsed).
  std::optional<v1::Task> pending_ ABSL_GUARDED_BY(mu_);
  Scheduler::TimerId heartbeat_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_TASK_EVENT_STREAM_H_
