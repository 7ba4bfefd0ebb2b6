// Output collection: download every upstream output, store it in the blob
// store, then mark the task SUCCEEDED with our own /uploads URLs.
//
// Why bodies are written whole, from a worker, instead of streamed chunk by
// chunk from curl's write callback: the curl loop must never wait on a disk,
// and streaming would need curl pause/unpause backpressure plus a sink that
// survives retries, redirects and the content-type check. Bounding how many
// downloads are in flight (and keeping each one's slot until its body is on
// disk) bounds memory just as well: at most fetch_parallel bodies of at most
// the per-file cap each.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_mapping.h"
#include "core/dispatcher.h"
#include "core/dispatcher_internal.h"
#include "core/image_info.h"
#include "core/state_machine.h"
#include "google/protobuf/util/time_util.h"

namespace mediagw {

using google::protobuf::util::TimeUtil;

struct Dispatcher::FetchState {
  FetchState(std::string id, std::vector<OutputRef> r)
      : task_id(std::move(id)), refs(std::move(r)), outputs(refs.size()) {}
  const std::string task_id;
  const std::vector<OutputRef> refs;
  absl::Mutex mu;
  size_t next ABSL_GUARDED_BY(mu) = 0;  // next output to start
  // Outputs started (or waiting for a global slot) and not yet stored or
  // dropped; the blobs are only removed once it is back to zero.
  int in_flight ABSL_GUARDED_BY(mu) = 0;
  size_t stored ABSL_GUARDED_BY(mu) = 0;
  int64_t bytes ABSL_GUARDED_BY(mu) = 0;  // downloaded so far, all outputs
  bool failed ABSL_GUARDED_BY(mu) = false;
  std::vector<v1::Output> outputs ABSL_GUARDED_BY(mu);
  std::vector<std::string> written ABSL_GUARDED_BY(mu);  // blob names
};

void Dispatcher::FetchOutputs(std::shared_ptr<Active> a,
                              std::vector<OutputRef> refs) {
  if (refs.empty()) {
    Fail(a, v1::TASK_STATE_FAILED,
         absl::DataLossError("upstream reported success but no outputs"));
    return;
  }
  // Checked before anything is downloaded: an upstream (or a caller's
  // workflow with a huge batch) must not make us fetch without end.
  if (refs.size() > static_cast<size_t>(options_.max_outputs)) {
    Fail(a, v1::TASK_STATE_FAILED,
         absl::ResourceExhaustedError(absl::StrCat(
             "upstream returned ", refs.size(), " outputs; at most ",
             options_.max_outputs, " are kept (fetch.max_outputs)")));
    return;
  }
  std::string id;
  {
    absl::MutexLock l(&a->mu);
    id = a->record.task().id();
  }
  StartFetches(std::move(a),
               std::make_shared<FetchState>(std::move(id), std::move(refs)));
}

void Dispatcher::StartFetches(std::shared_ptr<Active> a,
                              std::shared_ptr<FetchState> f) {
  std::vector<size_t> start;
  {
    absl::MutexLock l(&f->mu);
    while (!f->failed && f->in_flight < options_.fetch_parallel_per_task &&
           f->next < f->refs.size()) {
      start.push_back(f->next++);
      ++f->in_flight;
    }
  }
  for (size_t i : start) {
    fetch_slots_.Acquire([this, a, f, i] { FetchOne(a, f, i, 0); });
  }
}

// Holds a global slot from here until OutputDone, or until a retry's wait
// gives it back (RetryFetch takes one again before the next download).
void Dispatcher::FetchOne(std::shared_ptr<Active> a,
                          std::shared_ptr<FetchState> f, size_t i,
                          int attempt) {
  bool failed;
  int64_t left;
  {
    absl::MutexLock l(&f->mu);
    failed = f->failed;
    left = options_.max_task_bytes - f->bytes;
  }
  if (failed || stopping_ || IsRetired(a)) {
    OutputDone(a, f, absl::CancelledError("output collection stopped"));
    return;
  }
  const OutputRef& ref = f->refs[i];
  if (!ref.data.empty()) {
    auto body = std::make_shared<std::string>(ref.data);
    deps_.executor->Schedule([this, a, f, i, body] { StoreOne(a, f, i, body); });
    return;
  }
  // Each output's first download is a call the retry budget's ratio is
  // taken of; the downloads after a failure are its retries.
  if (attempt == 0) CountFirstCall();
  HttpRequest req = ref.request;
  req.timeout = options_.fetch_timeout;
  // No download may outgrow what is left of the task's budget.
  const bool budget_caps = left < req.max_response_bytes;
  if (budget_caps) req.max_response_bytes = std::max<int64_t>(left, 0);
  HttpClient* client = ref.external ? deps_.fetcher : deps_.http;
  client->Send(std::move(req), [this, a, f, i, attempt, budget_caps](
                                   absl::StatusOr<HttpResponse> resp) {
    absl::Status err;
    if (!resp.ok()) {
      err = resp.status();
    } else if (resp->status < 200 || resp->status >= 300) {
      err = WithRetryAfter(
          UpstreamHttpToStatus(resp->status, "output download", ""),
          resp->status, resp->headers, deps_.clock->Now());
    }
    if (err.code() == absl::StatusCode::kResourceExhausted && budget_caps) {
      err = absl::ResourceExhaustedError(absl::StrCat(
          "outputs total more than ", options_.max_task_bytes,
          " bytes (fetch.max_task_bytes)"));
    }
    if (!err.ok()) {
      // Only transient trouble is worth another download: an oversized
      // body or a refused address will be the same next time.
      const bool transient =
          err.code() == absl::StatusCode::kUnavailable ||
          err.code() == absl::StatusCode::kDeadlineExceeded;
      if (transient && attempt + 1 < options_.fetch_attempts && !stopping_) {
        // The wait may be long (a Retry-After, an empty budget): it must not
        // keep a download slot from the outputs that could go now.
        fetch_slots_.Release();
        RetryFetch(a, f, i, attempt + 1, err, attempt);
        return;
      }
      if (err.code() == absl::StatusCode::kResourceExhausted) {
        OutputDone(a, f, err);
      } else {
        OutputDone(a, f,
                   absl::Status(err.code(), absl::StrCat("fetching output ",
                                                         i + 1, ": ",
                                                         err.message())));
      }
      return;
    }
    bool over;
    {
      absl::MutexLock l(&f->mu);
      f->bytes += static_cast<int64_t>(resp->body.size());
      over = f->bytes > options_.max_task_bytes;
    }
    if (over) {
      OutputDone(a, f,
                 absl::ResourceExhaustedError(absl::StrCat(
                     "outputs total more than ", options_.max_task_bytes,
                     " bytes (fetch.max_task_bytes)")));
      return;
    }
    // Decoding headers and writing files is not for the curl loop.
    auto body = std::make_shared<std::string>(std::move(resp->body));
    deps_.executor->Schedule([this, a, f, i, body] { StoreOne(a, f, i, body); });
  });
}

void Dispatcher::RetryFetch(std::shared_ptr<Active> a,
                            std::shared_ptr<FetchState> f, size_t i,
                            int attempt, const absl::Status& error,
                            int round) {
  const absl::Time at = deps_.scheduler->Now() + RetryBackoff(round, error);
  TaskTimer(
      a, at,
      [this, a, f, i, attempt, error, round] {
        if (stopping_) return;
        // Out of budget: another round without calling. The results are
        // paid for, so the task is not failed for that; its deadline
        // bounds the wait.
        if (!TakeRetry()) return RetryFetch(a, f, i, attempt, error, round + 1);
        fetch_slots_.Acquire(
            [this, a, f, i, attempt] { FetchOne(a, f, i, attempt); });
      },
      // The task ended meanwhile: FetchOne sees it and ends this output,
      // which removes the collection's files once nothing is in flight.
      [this, a, f, i, attempt] {
        fetch_slots_.Acquire(
            [this, a, f, i, attempt] { FetchOne(a, f, i, attempt); });
      });
}

void Dispatcher::StoreOne(std::shared_ptr<Active> a,
                          std::shared_ptr<FetchState> f, size_t i,
                          std::shared_ptr<std::string> body) {
  bool failed;
  {
    absl::MutexLock l(&f->mu);
    failed = f->failed;
  }
  if (stopping_ || failed) {
    OutputDone(a, f, absl::CancelledError("output collection stopped"));
    return;
  }
  MediaInfo info = SniffMedia(*body);
  if (info.mime_type.empty()) {
    OutputDone(a, f,
               absl::DataLossError(absl::StrCat(
                   "output ", i + 1, " is not a recognised image or video")));
    return;
  }
  // {id}.ext always names the first output; {id}_{k}.ext (1-based) names
  // each output when there are several.
  const size_t n = f->refs.size();
  std::vector<std::string> names;
  if (i == 0) names.push_back(absl::StrCat(f->task_id, ".", info.extension));
  if (n > 1) {
    names.push_back(absl::StrCat(f->task_id, "_", i + 1, ".", info.extension));
  }
  {
    absl::MutexLock l(&f->mu);
    f->written.insert(f->written.end(), names.begin(), names.end());
  }
  for (const auto& name : names) {
    absl::Status st = deps_.blobs->Put(name, *body);
    if (!st.ok()) {
      OutputDone(a, f, st);
      return;
    }
  }
  body.reset();  // the bytes are on disk; free them before the next starts
  v1::Output out;
  out.set_uri(options_.urls->Upload(names.back()));
  out.set_mime_type(info.mime_type);
  out.set_width(info.width);
  out.set_height(info.height);
  {
    absl::MutexLock l(&f->mu);
    f->outputs[i] = std::move(out);
  }
  OutputDone(a, f, absl::OkStatus());
}

void Dispatcher::OutputDone(std::shared_ptr<Active> a,
                            std::shared_ptr<FetchState> f,
                            const absl::Status& status) {
  fetch_slots_.Release();
  bool fail_task = false;
  bool remove = false;
  bool commit = false;
  {
    absl::MutexLock l(&f->mu);
    --f->in_flight;
    if (status.ok()) {
      ++f->stored;
    } else if (!f->failed) {
      f->failed = true;
      fail_task = status.code() != absl::StatusCode::kCancelled;
    }
    if (f->failed) {
      remove = f->in_flight == 0;
    } else {
      commit = f->stored == f->refs.size();
    }
  }
  if (fail_task && !stopping_) Fail(a, v1::TASK_STATE_FAILED, status);
  if (remove) {
    deps_.executor->Schedule([this, f] { RemoveStored(f); });
    return;
  }
  if (commit) {
    CommitOutputs(std::move(a), std::move(f));
    return;
  }
  StartFetches(std::move(a), std::move(f));
}

void Dispatcher::RemoveStored(std::shared_ptr<FetchState> f) {
  std::vector<std::string> names;
  {
    absl::MutexLock l(&f->mu);
    names.swap(f->written);
  }
  for (const auto& name : names) {
    absl::Status st = deps_.blobs->Delete(name);
    if (!st.ok()) {
      MG_LOG(Warning, "task ", f->task_id, ": removing output ", name, ": ",
             st.ToString());
    }
  }
}

void Dispatcher::CommitOutputs(std::shared_ptr<Active> a,
                               std::shared_ptr<FetchState> f) {
  std::vector<v1::Output> outputs;
  {
    absl::MutexLock l(&f->mu);
    outputs = f->outputs;
  }
  absl::Time now = deps_.clock->Now();
  Mutate(
      a,
      [outputs, now](TaskRecord& t) {
        if (!CanTransition(t.task().state(), v1::TASK_STATE_SUCCEEDED)) {
          return absl::FailedPreconditionError("task already finished");
        }
        auto* task = t.mutable_task();
        task->set_state(v1::TASK_STATE_SUCCEEDED);
        task->set_progress(1.0);
        task->clear_outputs();
        for (const auto& o : outputs) *task->add_outputs() = o;
        *task->mutable_end_time() = ToProtoTime(now);
        return absl::OkStatus();
      },
      [this, a, f](absl::StatusOr<TaskRecord> t) {
        if (t.ok()) return;
        if (t.status().code() == absl::StatusCode::kFailedPrecondition) {
          // Canceled or timed out meanwhile: nobody will ask for these.
          deps_.executor->Schedule([this, f] { RemoveStored(f); });
          return;
        }
        // The outputs are stored; only the commit failed. Poll again, which
        // fetches and commits anew.
        {
          absl::MutexLock l(&a->mu);
          a->fetching = false;
        }
        SchedulePoll(a, options_.poll_interval);
      });
}

}  // namespace mediagw
