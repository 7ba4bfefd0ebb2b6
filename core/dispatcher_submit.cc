// The submit side of the dispatcher: choosing a channel (ordered failover,
// concurrency limits), preparing inputs (fetching and storing a video's
// input image), submitting or resuming upstream, and taking the answer.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_mapping.h"
#include "core/dispatcher.h"
#include "core/dispatcher_internal.h"
#include "core/image_info.h"

namespace mediagw {

namespace {

constexpr int64_t kMaxInputImageBytes = 32 << 20;

}  // namespace

void Dispatcher::Start(std::shared_ptr<Active> a) {
  TaskRecord rec;
  {
    absl::MutexLock l(&a->mu);
    rec = a->record;
  }
  auto channels =
      deps_.router->ChannelsFor(rec.task().workflow(), rec.request().model());
  if (channels.empty()) {
    Fail(a, v1::TASK_STATE_FAILED,
         absl::FailedPreconditionError(absl::StrCat(
             "no channel serves workflow ", rec.task().workflow())));
    return;
  }
  // A first attempt starts on the first channel (or, on a weighted route,
  // on the one the weights pick); a failover starts on the channel after
  // the one that failed, in list order. A channel at its concurrency limit
  // or unable to take work is skipped.
  const size_t n = channels.size();
  absl::flat_hash_set<std::string> refused;
  {
    absl::MutexLock l(&a->mu);
    refused = a->refused_channels;
  }
  std::vector<bool> ready(n);
  for (size_t i = 0; i < n; ++i) {
    ready[i] = channels[i].provider != nullptr &&
               !refused.contains(channels[i].name) &&
               channels[i].provider->CheckReady().ok() &&
               ChannelLooksHealthy(channels[i]);
  }
  size_t first = 0;
  if (rec.attempts() > 0) {
    for (size_t i = 0; i < n; ++i) {
      if (channels[i].name == rec.channel()) first = (i + 1) % n;
    }
  } else if (auto info = deps_.router->Workflow(rec.task().workflow());
             info.ok() && info->weighted) {
    first = slots_.PickWeighted(channels, ready);
  }
  const Channel* chosen = nullptr;
  for (size_t i = 0; i < n && chosen == nullptr; ++i) {
    const size_t k = (first + i) % n;
    if (ready[k] && AdmitToChannel(a, channels[k])) chosen = &channels[k];
  }
  SetWaitingForChannel(a, chosen == nullptr ? rec.task().workflow() : "");
  if (chosen == nullptr) {
    // Every channel is busy: try again shortly; the deadline bounds it.
    if (!IsRetired(a)) {
      TaskTimer(a, deps_.scheduler->Now() + options_.poll_interval,
                [this, a] {
                  if (!stopping_) Start(a);
                });
    }
    return;
  }
  Channel channel = *chosen;
  if (rec.attempts() == 0) CountFirstCall();
  // A retry on the same channel keeps the preassigned id, so a submit that
  // did reach the upstream is not run twice.
  std::string upstream_id =
      rec.channel() == channel.name && !rec.upstream_id().empty()
          ? rec.upstream_id()
          : channel.provider->PreassignUpstreamId(rec);
  {
    absl::MutexLock l(&a->mu);
    a->channel = channel;
  }
  // Task.provider shows the workflow's label when it has one, else the
  // kind of the provider that runs it (which changes on failover).
  std::string previous_kind;
  if (!rec.channel().empty()) {
    Channel prev = deps_.router->FindChannel(rec.channel());
    if (prev.provider != nullptr)
      previous_kind = std::string(prev.provider->Name());
  }
  Mutate(
      a,
      [channel, upstream_id, previous_kind](TaskRecord& r) {
        if (r.task().state() != v1::TASK_STATE_PENDING) return Unchanged();
        r.mutable_task()->set_state(v1::TASK_STATE_SUBMITTING);
        const bool labelled = !r.task().provider().empty() &&
                              r.task().provider() != previous_kind;
        if (!labelled) {
          r.mutable_task()->set_provider(std::string(channel.provider->Name()));
        }
        r.set_channel(channel.name);
        r.set_upstream_id(upstream_id);
        r.set_attempts(r.attempts() + 1);
        r.set_submit_sent(false);
        return absl::OkStatus();
      },
      [this, a](absl::StatusOr<TaskRecord> r) {
        if (r.ok()) {
          PrepareAndSubmit(a, /*resume=*/false);
          return;
        }
        // A stale PENDING snapshot: the task moved on without us (finished,
        // cancelled, or driven by another replica). Free the slot.
        if (IsUnchanged(r.status())) Retire(a);
      });
}

void Dispatcher::PrepareAndSubmit(std::shared_ptr<Active> a, bool resume) {
  TaskRecord rec;
  {
    absl::MutexLock l(&a->mu);
    rec = a->record;
  }
  SubmitContext ctx;
  ctx.callback_url =
      options_.urls->Callback(rec.task().id());
  if (rec.task().kind() != v1::TASK_KIND_VIDEO) {
    Send(a, std::move(ctx), resume);
    return;
  }
  if (rec.input_blob().empty()) {
    FetchInput(a, rec.video().image(), resume);
    return;
  }
  // Reading the stored input is file I/O: not for the loop thread.
  deps_.executor->Schedule([this, a, rec, ctx, resume]() mutable {
    auto bytes = deps_.blobs->Get(rec.input_blob());
    if (!bytes.ok()) {
      Fail(a, v1::TASK_STATE_FAILED,
           absl::DataLossError(absl::StrCat("the input image is gone: ",
                                            bytes.status().message())));
      return;
    }
    ctx.input_image = *std::move(bytes);
    ctx.input_mime_type = rec.input_mime_type();
    ctx.input_name = rec.input_blob();
    ctx.input_url =
        options_.urls->Upload(rec.input_blob());
    Send(a, std::move(ctx), resume);
  });
}

void Dispatcher::FetchInput(std::shared_ptr<Active> a, const std::string& url,
                            bool resume) {
  HttpRequest req;
  req.url = url;
  req.timeout = options_.fetch_timeout;
  req.max_response_bytes = kMaxInputImageBytes;
  deps_.fetcher->Send(std::move(req), [this, a, resume](
                                          absl::StatusOr<HttpResponse> resp) {
    absl::Status err;
    if (!resp.ok()) {
      err = resp.status();
    } else if (resp->status < 200 || resp->status >= 300) {
      err = absl::InvalidArgumentError(
          absl::StrCat("the server answered HTTP ", resp->status));
    }
    if (!err.ok()) {
      Fail(a, v1::TASK_STATE_FAILED,
           absl::InvalidArgumentError(absl::StrCat(
               "image URL could not be fetched: ", err.message())));
      return;
    }
    auto body = std::make_shared<std::string>(std::move(resp->body));
    deps_.executor->Schedule([this, a, body, resume] {
      MediaInfo info = SniffMedia(*body);
      if (!absl::StartsWith(info.mime_type, "image/")) {
        Fail(a, v1::TASK_STATE_FAILED,
             absl::InvalidArgumentError(
                 "image URL did not give a PNG, JPEG, WebP or GIF picture"));
        return;
      }
      std::string name = absl::StrCat(a->record_id, "_input.", info.extension);
      if (absl::Status st = deps_.blobs->Put(name, *body); !st.ok()) {
        Fail(a, v1::TASK_STATE_FAILED, st);
        return;
      }
      std::string mime = info.mime_type;
      Mutate(
          a,
          [name, mime](TaskRecord& r) {
            r.set_input_blob(name);
            r.set_input_mime_type(mime);
            return absl::OkStatus();
          },
          [this, a, resume](absl::StatusOr<TaskRecord> r) {
            if (r.ok()) PrepareAndSubmit(a, resume);
          });
    });
  });
}

void Dispatcher::Send(std::shared_ptr<Active> a, SubmitContext ctx,
                      bool resume) {
  if (stopping_) return;
  if (resume) {
    Transmit(a, std::move(ctx), /*resume=*/true);
    return;
  }
  // Recorded before the request leaves, so that a restart can tell a submit
  // that may have reached the upstream from one that never went out.
  auto shared_ctx = std::make_shared<SubmitContext>(std::move(ctx));
  Mutate(
      a,
      [](TaskRecord& r) {
        if (r.task().state() != v1::TASK_STATE_SUBMITTING) return Unchanged();
        r.set_submit_sent(true);
        return absl::OkStatus();
      },
      [this, a, shared_ctx](absl::StatusOr<TaskRecord> r) {
        if (r.ok()) Transmit(a, std::move(*shared_ctx), /*resume=*/false);
      });
}

void Dispatcher::Transmit(std::shared_ptr<Active> a, SubmitContext ctx,
                          bool resume) {
  if (stopping_) return;
  TaskRecord rec;
  std::shared_ptr<Provider> provider;
  {
    absl::MutexLock l(&a->mu);
    rec = a->record;
    provider = a->channel.provider;
  }
  auto done = [this, a, resume](absl::StatusOr<SubmitResult> result) {
    OnSubmitted(a, std::move(result), resume);
  };
  if (resume) {
    provider->Resume(rec, ctx, std::move(done));
  } else {
    provider->Submit(rec, ctx, std::move(done));
  }
}

void Dispatcher::Resume(std::shared_ptr<Active> a) {
  TaskRecord rec;
  Channel channel;
  {
    absl::MutexLock l(&a->mu);
    rec = a->record;
    channel = a->channel;
  }
  const std::shared_ptr<Provider>& provider = channel.provider;
  if (provider == nullptr) {
    Fail(a, v1::TASK_STATE_FAILED,
         absl::FailedPreconditionError(absl::StrCat(
             "channel '", rec.channel(), "' is no longer configured")));
    return;
  }
  TakeChannelSlot(a, channel);  // it is running there whatever the limit
  if (rec.cancel_requested() && rec.task().state() != v1::TASK_STATE_SUBMITTING) {
    // A crash came between the stop request and its end: the job is known
    // upstream, so it is cancelled there now.
    CancelUpstreamThenStop(a, nullptr);
    return;
  }
  if (rec.task().state() == v1::TASK_STATE_SUBMITTING) {
    // A submit that never went out is sent now; one that did is looked up.
    PrepareAndSubmit(a, /*resume=*/rec.submit_sent());
    return;
  }
  provider->Watch(rec, this);
  SchedulePoll(a, absl::ZeroDuration());
}

void Dispatcher::OnSubmitted(std::shared_ptr<Active> a,
                             absl::StatusOr<SubmitResult> result,
                             bool resumed) {
  if (stopping_) return;
  {
    std::string channel;
    {
      absl::MutexLock l(&a->mu);
      channel = a->channel.name;
    }
    RecordSubmitOutcome(channel, result.status());
  }
  if (result.ok()) {
    auto res = std::make_shared<SubmitResult>(*std::move(result));
    Mutate(
        a,
        [res](TaskRecord& r) {
          if (r.task().state() != v1::TASK_STATE_SUBMITTING) return Unchanged();
          r.mutable_task()->set_state(v1::TASK_STATE_QUEUED);
          r.set_upstream_id(res->upstream_id);
          r.set_provider_state(res->provider_state);
          r.set_upstream_accepted(true);
          return absl::OkStatus();
        },
        [this, a, res](absl::StatusOr<TaskRecord> r) {
          if (!r.ok()) return;
          if (r->cancel_requested()) {
            // Stopped while the request was out: the job the upstream just
            // took is cancelled there before the task ends.
            CancelUpstreamThenStop(a, nullptr);
            return;
          }
          if (!res->outputs.empty()) {
            // A synchronous upstream answered with the results.
            PollResult done;
            done.state = UpstreamState::kSucceeded;
            done.outputs = std::move(res->outputs);
            OnPolled(a, std::move(done));
            return;
          }
          std::shared_ptr<Provider> provider;
          {
            absl::MutexLock l(&a->mu);
            provider = a->channel.provider;
          }
          provider->Watch(*r, this);
          SchedulePoll(a, options_.poll_interval);
        });
    return;
  }
  int attempts;
  std::string upstream_id;
  bool unanswered;
  {
    absl::MutexLock l(&a->mu);
    attempts = a->record.attempts();
    upstream_id = a->record.upstream_id();
    unanswered = a->unknown_outcomes > 0;
  }
  const absl::Status& status = result.status();
  bool stop_requested;
  {
    absl::MutexLock l(&a->mu);
    stop_requested = a->record.cancel_requested();
  }
  if (stop_requested && !IsOutcomeUnknown(status) && !resumed) {
    // Refused: nothing runs upstream, and a stopped task is not sent on.
    FinishStop(a, /*upstream_cancelled=*/false, nullptr);
    return;
  }
  if (resumed && status.code() == absl::StatusCode::kNotFound) {
    // The request went out before the restart and the provider cannot find
    // the job again without risking a second one (a synchronous upstream
    // keeps no record at all).
    Fail(a, v1::TASK_STATE_FAILED,
         absl::UnknownError(absl::StrCat("outcome unknown after restart: ",
                                         status.message())));
    return;
  }
  // Once a submit under our own job id may have reached the upstream (its
  // answer was lost, or this is a resume after a restart), the job is only
  // ever looked up there, never sent to another channel, whatever the
  // lookup's error.
  if (IsOutcomeUnknown(status) ||
      (!upstream_id.empty() && (resumed || unanswered))) {
    OnOutcomeUnknown(a, status, upstream_id);
    return;
  }
  if (CanFailOver(a, result.status(), attempts)) {
    if (!TakeRetry()) {
      Fail(a, v1::TASK_STATE_FAILED,
           Annotate(status, "the retry budget is spent, not failing over: "));
      return;
    }
    MG_LOG(Info, "submit attempt ", attempts, " failed (",
           result.status().ToString(), "); retrying on the next channel");
    Mutate(
        a,
        [](TaskRecord& r) {
          if (r.task().state() != v1::TASK_STATE_SUBMITTING) return Unchanged();
          r.mutable_task()->set_state(v1::TASK_STATE_PENDING);
          r.set_submit_sent(false);
          return absl::OkStatus();
        },
        [this, a, attempts, status](absl::StatusOr<TaskRecord> r) {
          if (!r.ok()) return;
          ReleaseChannelSlot(a);
          const absl::Duration backoff = RetryBackoff(attempts - 1, status);
          TaskTimer(a, deps_.scheduler->Now() + backoff, [this, a] {
            if (!stopping_) Start(a);
          });
        });
    return;
  }
  Fail(a, v1::TASK_STATE_FAILED, result.status());
}

bool Dispatcher::CanFailOver(const std::shared_ptr<Active>& a,
                             const absl::Status& status, int attempts) {
  if (attempts >= options_.max_attempts) return false;
  // The upstream's answer is final for this task, not for this channel.
  if (ReasonOf(status) == Reason::kUpstreamRefusedFinal) return false;
  if (IsRetryable(status)) return true;
  if (status.code() != absl::StatusCode::kFailedPrecondition) return false;
  // Our own credentials or credit on this channel (an upstream 401/402/403):
  // the channel is not tried again for this task, but another may serve it.
  std::string workflow, model;
  {
    absl::MutexLock l(&a->mu);
    workflow = a->record.task().workflow();
    model = a->record.request().model();
    a->refused_channels.insert(a->record.channel());
  }
  const std::vector<Channel> channels =
      deps_.router->ChannelsFor(workflow, model);
  absl::MutexLock l(&a->mu);
  for (const Channel& c : channels) {
    if (!a->refused_channels.contains(c.name)) return true;
  }
  return false;
}

void Dispatcher::OnOutcomeUnknown(std::shared_ptr<Active> a,
                                  const absl::Status& status,
                                  const std::string& upstream_id) {
  int tries;
  {
    absl::MutexLock l(&a->mu);
    tries = ++a->unknown_outcomes;
  }
  if (upstream_id.empty()) {
    // The upstream assigns job ids and we never saw one: sending the job
    // again (here or to another channel) could run and charge it twice.
    Fail(a, v1::TASK_STATE_FAILED,
         Annotate(status,
                  "the upstream may have accepted the job before the "
                  "connection failed; it is not sent again, so that it "
                  "cannot run twice: "));
    return;
  }
  if (!IsOutcomeUnknown(status) && !IsRetryable(status)) {
    // A real answer (e.g. the upstream rejected the job): nothing to wait for.
    Fail(a, v1::TASK_STATE_FAILED, status);
    return;
  }
  // The upstream takes our id: Resume looks the job up by it and submits
  // again under the same id only if the upstream does not know it. The
  // task stays on this channel, however long the upstream is away (a
  // server restart); the task's deadline bounds the tries.
  MG_LOG(Info, "submit of ", upstream_id, " ended without an answer (",
         status.ToString(), "); resuming it on the same channel");
  const absl::Duration backoff = RetryBackoff(tries - 1, status);
  TaskTimer(
      a, deps_.scheduler->Now() + backoff, [this, a, status, upstream_id] {
        if (stopping_ || IsRetired(a)) return;
        // Out of budget: wait another round without calling (the task's
        // deadline bounds it); the job may be running upstream, so it is
        // not failed for that.
        if (!TakeRetry()) return OnOutcomeUnknown(a, status, upstream_id);
        PrepareAndSubmit(a, /*resume=*/true);
      });
}

}  // namespace mediagw
