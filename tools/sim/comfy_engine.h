// The simulated ComfyUI executor: a FIFO prompt queue and one job running at
// a time on the engine's own worker thread. A job walks its nodes in
// dependency order, spends `step_time` per sampler step (so KSampler.steps
// sets the run time), renders its outputs into the FileStore (PNG images
// with RenderPng, one MP4 clip per video output node with RenderMp4, at
// most `max_video_frames` frames) and records a history entry. A video
// whose size the encoder refuses (odd sides) fails the job like an
// execution error.
//
// Websocket traffic is handed to an EngineListener: job events to the
// submitting client_id only (none when it is empty), "status" broadcasts
// whenever the queue length changes.
//
// Threading: all public methods are thread-safe and never block on a running
// job. Listener methods are called on the worker thread or the caller's
// thread, never with an engine lock held; they must not block.
// Fault hooks: FaultRegistry::TakeJobFault() is consulted when a job starts
// (kErrorStatus: the sampler fails with execution_error; kVanish: the job is
// dropped from the queue and never reaches history).
#ifndef MEDIAGW_TOOLS_SIM_COMFY_ENGINE_H_
#define MEDIAGW_TOOLS_SIM_COMFY_ENGINE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tools/sim/comfy_types.h"
#include "tools/sim/faults.h"
#include "tools/sim/file_store.h"

namespace mediagw::sim {

class EngineListener {
 public:
  virtual ~EngineListener() = default;
  virtual void SendTo(const std::string& client_id, std::string message) = 0;
  virtual void Broadcast(std::string message) = 0;
};

struct EngineOptions {
  absl::Duration step_time = absl::Milliseconds(50);
  // Pause between taking a job and its first event, like model loading in
  // ComfyUI. Clients register their listeners after POST /prompt answers,
  // so events sent at once would race that answer.
  absl::Duration start_delay = absl::Milliseconds(50);
  size_t max_history = 1000;  // oldest entries (and their files) are dropped
  // Pixel budget of one job (width * height * batch); above it the job
  // fails like a GPU out of memory.
  int64_t max_job_pixels = int64_t{64} << 20;
  // Video workflows ask for 14..121 frames; a few keep the clips small.
  int max_video_frames = 16;
};

class ComfyEngine {
 public:
  // `faults` and `listener` may be null; both must outlive the engine.
  ComfyEngine(EngineOptions options, FileStore* files, FaultRegistry* faults,
              EngineListener* listener);
  ~ComfyEngine();  // interrupts the running job and joins the worker
  ComfyEngine(const ComfyEngine&) = delete;
  ComfyEngine& operator=(const ComfyEngine&) = delete;

  struct Submitted {
    std::string prompt_id;
    int64_t number = 0;
  };
  // Queues a validated prompt (at the head when prompt.front, with a
  // negative number as ComfyUI does); generates a UUID when none was
  // chosen. A
  // prompt_id already queued, running or in history is not run again: the
  // existing {prompt_id, number} is returned (idempotent resubmit).
  Submitted Submit(ParsedPrompt prompt);

  struct QueueView {
    std::vector<JobRecord> running;
    std::vector<JobRecord> pending;
  };
  QueueView Queue() const;
  // ComfyUI's queue_remaining: pending plus running.
  int QueueRemaining() const;

  std::optional<JobRecord> History(absl::string_view prompt_id) const;
  // Most recent `max_items` (all when nullopt), oldest first.
  std::vector<JobRecord> HistoryAll(std::optional<int64_t> max_items) const;
  void DeleteHistory(const std::vector<std::string>& prompt_ids);
  void ClearHistory();

  // Removes pending jobs; returns how many were removed.
  int DeletePending(const std::vector<std::string>& prompt_ids);
  int ClearPending();
  // Interrupts the running job if any (and, when `prompt_id` is given, only
  // if it is that one). Returns whether a job was interrupted.
  bool Interrupt(const std::optional<std::string>& prompt_id);

  // The node the running job is executing, if it belongs to `client_id`:
  // ComfyUI repeats it to a client that reconnects its websocket.
  struct CurrentNode {
    std::string prompt_id;
    std::string node_id;
  };
  std::optional<CurrentNode> CurrentNodeFor(absl::string_view client_id) const;

  // Stops accepting work and joins the worker. Idempotent.
  void Stop();

 private:
  void Run();
  void Execute(JobRecord job, ParsedPrompt prompt);
  // Waits `d`; false when interrupted or stopping.
  bool Wait(absl::Duration d);
  absl::StatusOr<NodeOutput> ProduceOutput(const ParsedPrompt& prompt,
                                           const WorkflowNode& node);
  void Finish(JobRecord job);
  void SendTo(const std::string& client_id, std::string message);
  void BroadcastStatus();

  const EngineOptions options_;
  FileStore* const files_;
  FaultRegistry* const faults_;
  EngineListener* const listener_;

  mutable absl::Mutex mu_;
  int64_t next_number_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::pair<JobRecord, ParsedPrompt>> pending_ ABSL_GUARDED_BY(mu_);
  std::optional<JobRecord> running_ ABSL_GUARDED_BY(mu_);
  std::string running_node_ ABSL_GUARDED_BY(mu_);
  bool interrupt_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<JobRecord> history_ ABSL_GUARDED_BY(mu_);
  std::thread worker_;
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_COMFY_ENGINE_H_
