#include "tools/sim/comfy_engine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "tools/sim/comfy_codec.h"
#include "tools/sim/png_render.h"
#include "tools/sim/video_render.h"

namespace mediagw::sim {
namespace {

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace

ComfyEngine::ComfyEngine(EngineOptions options, FileStore* files,
                         FaultRegistry* faults, EngineListener* listener)
    : options_(options), files_(files), faults_(faults), listener_(listener) {
  worker_ = std::thread([this] { Run(); });
}

ComfyEngine::~ComfyEngine() { Stop(); }

void ComfyEngine::Stop() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
    interrupt_ = true;
  }
  if (worker_.joinable()) worker_.join();
}

ComfyEngine::Submitted ComfyEngine::Submit(ParsedPrompt prompt) {
  Submitted result;
  {
    absl::MutexLock l(&mu_);
    if (prompt.prompt_id.has_value()) {
      const std::string& id = *prompt.prompt_id;
      auto same = [&](const JobRecord& j) { return j.prompt_id == id; };
      if (running_.has_value() && same(*running_)) {
        return {id, running_->number};
      }
      for (const auto& [job, p] : pending_) {
        if (same(job)) return {id, job.number};
      }
      for (const JobRecord& job : history_) {
        if (same(job)) return {id, job.number};
      }
    }
    JobRecord job;
    job.number = next_number_++;
    if (prompt.front) job.number = -job.number;
    job.prompt_id = prompt.prompt_id.value_or(NewUuid());
    job.client_id = prompt.client_id;
    job.prompt_json = prompt.prompt_json;
    job.extra_data_json = prompt.extra_data_json;
    job.output_node_ids = prompt.output_node_ids;
    result = {job.prompt_id, job.number};
    if (prompt.front) {
      pending_.emplace_front(std::move(job), std::move(prompt));
    } else {
      pending_.emplace_back(std::move(job), std::move(prompt));
    }
  }
  BroadcastStatus();
  return result;
}

ComfyEngine::QueueView ComfyEngine::Queue() const {
  absl::MutexLock l(&mu_);
  QueueView view;
  if (running_.has_value()) view.running.push_back(*running_);
  for (const auto& [job, p] : pending_) view.pending.push_back(job);
  return view;
}

int ComfyEngine::QueueRemaining() const {
  absl::MutexLock l(&mu_);
  return static_cast<int>(pending_.size()) + (running_.has_value() ? 1 : 0);
}

std::optional<JobRecord> ComfyEngine::History(
    absl::string_view prompt_id) const {
  absl::MutexLock l(&mu_);
  for (const JobRecord& job : history_) {
    if (job.prompt_id == prompt_id) return job;
  }
  return std::nullopt;
}

std::vector<JobRecord> ComfyEngine::HistoryAll(
    std::optional<int64_t> max_items) const {
  absl::MutexLock l(&mu_);
  size_t first = 0;
  if (max_items.has_value() && *max_items >= 0 &&
      static_cast<size_t>(*max_items) < history_.size()) {
    first = history_.size() - static_cast<size_t>(*max_items);
  }
  return std::vector<JobRecord>(history_.begin() + first, history_.end());
}

void ComfyEngine::DeleteHistory(const std::vector<std::string>& prompt_ids) {
  absl::MutexLock l(&mu_);
  history_.erase(std::remove_if(history_.begin(), history_.end(),
                                [&](const JobRecord& j) {
                                  return std::find(prompt_ids.begin(),
                                                   prompt_ids.end(),
                                                   j.prompt_id) !=
                                         prompt_ids.end();
                                }),
                 history_.end());
}

void ComfyEngine::ClearHistory() {
  absl::MutexLock l(&mu_);
  history_.clear();
}

int ComfyEngine::DeletePending(const std::vector<std::string>& prompt_ids) {
  int removed = 0;
  {
    absl::MutexLock l(&mu_);
    const size_t before = pending_.size();
    pending_.erase(
        std::remove_if(pending_.begin(), pending_.end(),
                       [&](const std::pair<JobRecord, ParsedPrompt>& p) {
                         return std::find(prompt_ids.begin(), prompt_ids.end(),
                                          p.first.prompt_id) !=
                                prompt_ids.end();
                       }),
        pending_.end());
    removed = static_cast<int>(before - pending_.size());
  }
  if (removed > 0) BroadcastStatus();
  return removed;
}

int ComfyEngine::ClearPending() {
  int removed = 0;
  {
    absl::MutexLock l(&mu_);
    removed = static_cast<int>(pending_.size());
    pending_.clear();
  }
  if (removed > 0) BroadcastStatus();
  return removed;
}

std::optional<ComfyEngine::CurrentNode> ComfyEngine::CurrentNodeFor(
    absl::string_view client_id) const {
  absl::MutexLock l(&mu_);
  if (!running_.has_value() || running_node_.empty() ||
      running_->client_id != client_id) {
    return std::nullopt;
  }
  return CurrentNode{running_->prompt_id, running_node_};
}

bool ComfyEngine::Interrupt(const std::optional<std::string>& prompt_id) {
  absl::MutexLock l(&mu_);
  if (!running_.has_value()) return false;
  if (prompt_id.has_value() && *prompt_id != running_->prompt_id) return false;
  interrupt_ = true;
  return true;
}

void ComfyEngine::Run() {
  while (true) {
    JobRecord job;
    ParsedPrompt prompt;
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || !pending_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      job = std::move(pending_.front().first);
      prompt = std::move(pending_.front().second);
      pending_.pop_front();
      running_ = job;
      interrupt_ = false;
    }
    Execute(std::move(job), std::move(prompt));
  }
}

bool ComfyEngine::Wait(absl::Duration d) {
  absl::MutexLock l(&mu_);
  auto interrupted = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return interrupt_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&interrupted), d);
  return !interrupt_;
}

void ComfyEngine::Execute(JobRecord job, ParsedPrompt prompt) {
  const std::optional<FaultMode> fault =
      faults_ != nullptr ? faults_->TakeJobFault() : std::nullopt;
  if (fault == FaultMode::kVanish) {
    {
      absl::MutexLock l(&mu_);
      running_.reset();
      running_node_.clear();
    }
    BroadcastStatus();
    return;
  }
  const std::string& id = job.prompt_id;
  const bool started = Wait(options_.start_delay);
  job.start_ms = NowMs();
  SendTo(job.client_id, ExecutionStartMessage(id, job.start_ms));
  SendTo(job.client_id, ExecutionCachedMessage(id, job.start_ms));

  auto fail = [&](const WorkflowNode& node, JobRecord::Outcome outcome,
                  std::string message, std::string type) {
    job.outcome = outcome;
    job.failed_node_id = node.id;
    job.failed_node_type = node.class_type;
    job.exception_message = std::move(message);
    job.exception_type = std::move(type);
    Finish(std::move(job));
  };

  if (!started) {
    fail(prompt.execution_order.front(), JobRecord::Outcome::kInterrupted, "",
         "");
    return;
  }
  bool failure_pending = fault == FaultMode::kErrorStatus;
  for (size_t i = 0; i < prompt.execution_order.size(); ++i) {
    const WorkflowNode& node = prompt.execution_order[i];
    {
      absl::MutexLock l(&mu_);
      running_node_ = node.id;
    }
    SendTo(job.client_id, ExecutingMessage(node.id, id));
    for (int step = 1; step <= node.sampler_steps; ++step) {
      if (!Wait(options_.step_time)) {
        fail(node, JobRecord::Outcome::kInterrupted, "", "");
        return;
      }
      SendTo(job.client_id, ProgressMessage(step, node.sampler_steps, id,
                                            node.id));
    }
    const bool last = i + 1 == prompt.execution_order.size();
    if (failure_pending && (node.sampler_steps > 0 || last)) {
      fail(node, JobRecord::Outcome::kError,
           "Simulated failure injected by the test harness",
           "RuntimeError");
      return;
    }
    if (node.is_output) {
      absl::StatusOr<NodeOutput> output = ProduceOutput(prompt, node);
      if (!output.ok()) {
        fail(node, JobRecord::Outcome::kError,
             std::string(output.status().message()),
             absl::IsResourceExhausted(output.status())
                 ? "torch.OutOfMemoryError"
                 : "Exception");
        return;
      }
      SendTo(job.client_id, ExecutedMessage(*output, id));
      job.outputs.push_back(*std::move(output));
    }
    job.executed_nodes.push_back(node.id);
  }
  job.outcome = JobRecord::Outcome::kSuccess;
  Finish(std::move(job));
}

absl::StatusOr<NodeOutput> ComfyEngine::ProduceOutput(
    const ParsedPrompt& prompt, const WorkflowNode& node) {
  if (int64_t{prompt.width} * prompt.height * prompt.batch_size >
      options_.max_job_pixels) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "Allocation on device: %dx%d x %d images exceeds the simulated VRAM",
        prompt.width, prompt.height, prompt.batch_size));
  }
  NodeOutput out;
  out.node_id = node.id;
  out.kind = node.output_kind;
  std::string prefix = prompt.filename_prefix;
  std::string subfolder;
  if (IsUnsafeRelativePath(prefix)) {
    return absl::InvalidArgumentError(
        "Saving image outside the output folder is not allowed.");
  }
  const size_t slash = prefix.rfind('/');
  if (slash != std::string::npos) {
    subfolder = prefix.substr(0, slash);
    prefix = prefix.substr(slash + 1);
  }
  const std::string type =
      node.output_kind == OutputKind::kPreview ? "temp" : "output";
  // Uploaded inputs change the picture, as an img2img run would.
  std::string text = prompt.positive;
  for (const std::string& input : prompt.load_images) {
    absl::StrAppend(&text, "|", input);
  }
  if (IsVideoOutput(node.output_kind)) {
    const int frames =
        std::clamp(prompt.video_frames, 1, options_.max_video_frames);
    const int fps =
        std::clamp(static_cast<int>(prompt.frame_rate + 0.5), 1, 120);
    absl::StatusOr<std::string> mp4 =
        RenderMp4(prompt.width, prompt.height, frames, prompt.seed, text, fps);
    if (!mp4.ok()) return mp4.status();
    FileRef ref;
    ref.subfolder = subfolder;
    ref.type = type;
    const int counter = files_->NextCounter(subfolder, prefix);
    // VHS names clips prefix_00001.mp4; SaveVideo adds ComfyUI's "_".
    ref.filename = node.output_kind == OutputKind::kVideo
                       ? absl::StrFormat("%s_%05d.mp4", prefix, counter)
                       : absl::StrFormat("%s_%05d_.mp4", prefix, counter);
    if (node.output_kind == OutputKind::kVideo) {
      ref.format = "video/h264-mp4";
      ref.frame_rate = fps;
    }
    files_->Put(type, subfolder, ref.filename, {"video/mp4", *std::move(mp4)});
    out.files.push_back(std::move(ref));
    return out;
  }
  for (int i = 0; i < prompt.batch_size; ++i) {
    absl::StatusOr<std::string> png =
        RenderPng(prompt.width, prompt.height, prompt.seed, text, i);
    if (!png.ok()) return png.status();
    FileRef ref;
    ref.subfolder = subfolder;
    ref.type = type;
    ref.filename = absl::StrFormat("%s_%05d_.png", prefix,
                                   files_->NextCounter(subfolder, prefix));
    files_->Put(type, subfolder, ref.filename, {"image/png", *std::move(png)});
    out.files.push_back(std::move(ref));
  }
  return out;
}

void ComfyEngine::Finish(JobRecord job) {
  job.end_ms = NowMs();
  std::vector<JobRecord> evicted;
  {
    absl::MutexLock l(&mu_);
    running_.reset();
    running_node_.clear();
    history_.push_back(job);
    while (history_.size() > options_.max_history) {
      evicted.push_back(std::move(history_.front()));
      history_.pop_front();
    }
  }
  for (const JobRecord& old : evicted) {
    for (const NodeOutput& out : old.outputs) {
      for (const FileRef& f : out.files) {
        files_->Erase(f.type, f.subfolder, f.filename);
      }
    }
  }
  switch (job.outcome) {
    case JobRecord::Outcome::kSuccess:
      SendTo(job.client_id, ExecutionSuccessMessage(job.prompt_id, job.end_ms));
      break;
    case JobRecord::Outcome::kError:
      SendTo(job.client_id, ExecutionErrorMessage(job));
      break;
    case JobRecord::Outcome::kInterrupted:
      SendTo(job.client_id, ExecutionInterruptedMessage(job));
      break;
  }
  SendTo(job.client_id, ExecutingMessage(std::nullopt, job.prompt_id));
  BroadcastStatus();
}

void ComfyEngine::SendTo(const std::string& client_id, std::string message) {
  if (listener_ == nullptr || client_id.empty()) return;
  listener_->SendTo(client_id, std::move(message));
}

void ComfyEngine::BroadcastStatus() {
  if (listener_ == nullptr) return;
  listener_->Broadcast(StatusMessage(QueueRemaining(), std::nullopt));
}

}  // namespace mediagw::sim
