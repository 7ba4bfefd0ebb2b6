// Output collection: download every upstream output, store it in the blob
// store, then mark the task SUCCEEDED with our own /uploads URLs.
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

namespace {

struct FetchState {
  std::vector<OutputRef> refs;
  std::shared_ptr<std::vector<std::string>> bodies;
  int remaining = 0;
  bool failed = false;
  absl::Mutex mu;
};

}  // namespace

void Dispatcher::FetchOutputs(std::shared_ptr<Active> a,
                              std::vector<OutputRef> refs) {
  if (refs.empty()) {
    Fail(a, v1::TASK_STATE_FAILED,
         absl::DataLossError("upstream reported success but no outputs"));
    return;
  }
  auto state = std::make_shared<FetchState>();
  state->bodies = std::make_shared<std::vector<std::string>>(refs.size());
  state->remaining = static_cast<int>(refs.size());
  state->refs = std::move(refs);

  // Output `i` is here; the last one hands all of them to a worker.
  auto accept = [this, a, state](size_t i, std::string body) {
    bool last;
    {
      absl::MutexLock l(&state->mu);
      (*state->bodies)[i] = std::move(body);
      last = --state->remaining == 0 && !state->failed;
    }
    if (last) {
      // Decoding headers and writing files is not for the curl loop.
      auto bodies = state->bodies;
      deps_.executor->Schedule([this, a, bodies] { StoreOutputs(a, bodies); });
    }
  };

  // One attempt of output `i`; retried on transport errors and 5xx.
  auto fetch = std::make_shared<std::function<void(size_t, int)>>();
  std::weak_ptr<std::function<void(size_t, int)>> weak_fetch = fetch;
  *fetch = [this, a, state, weak_fetch, accept](size_t i, int attempt) {
    const OutputRef& ref = state->refs[i];
    if (!ref.data.empty()) {
      accept(i, ref.data);
      return;
    }
    HttpRequest req = ref.request;
    req.timeout = options_.fetch_timeout;
    HttpClient* client = ref.external ? deps_.fetcher : deps_.http;
    auto self = weak_fetch.lock();
    client->Send(std::move(req), [this, a, state, self, i, attempt, accept](
                                     absl::StatusOr<HttpResponse> resp) {
      absl::Status err;
      if (!resp.ok()) {
        err = resp.status();
      } else if (resp->status < 200 || resp->status >= 300) {
        err = UpstreamHttpToStatus(resp->status, "output download", "");
      }
      if (!err.ok()) {
        // Only transient trouble is worth another download: an oversized
        // body or a refused address will be the same next time.
        const bool transient =
            err.code() == absl::StatusCode::kUnavailable ||
            err.code() == absl::StatusCode::kDeadlineExceeded;
        if (transient && attempt + 1 < options_.fetch_attempts && !stopping_) {
          deps_.scheduler->RunAt(
              deps_.scheduler->Now() + options_.poll_interval,
              [self, i, attempt] { (*self)(i, attempt + 1); });
          return;
        }
        bool first_failure;
        {
          absl::MutexLock l(&state->mu);
          first_failure = !state->failed;
          state->failed = true;
        }
        if (first_failure) {
          Fail(a, v1::TASK_STATE_FAILED,
               absl::Status(err.code(), absl::StrCat("fetching output ", i + 1,
                                                     ": ", err.message())));
        }
        return;
      }
      accept(i, std::move(resp->body));
    });
  };
  for (size_t i = 0; i < state->refs.size(); ++i) (*fetch)(i, 0);
}

void Dispatcher::StoreOutputs(std::shared_ptr<Active> a,
                              std::shared_ptr<std::vector<std::string>> bodies) {
  if (stopping_) return;
  std::string id;
  {
    absl::MutexLock l(&mu_);
    id = a->record.task().id();
  }
  std::vector<v1::Output> outputs;
  const size_t n = bodies->size();
  for (size_t i = 0; i < n; ++i) {
    const std::string& body = (*bodies)[i];
    MediaInfo info = SniffMedia(body);
    if (info.mime_type.empty()) {
      Fail(a, v1::TASK_STATE_FAILED,
           absl::DataLossError(absl::StrCat(
               "output ", i + 1, " is not a recognised image or video")));
      return;
    }
    // {id}.ext always names the first output; {id}_{k}.ext (1-based) names
    // each output when there are several.
    std::vector<std::string> names;
    if (i == 0) names.push_back(absl::StrCat(id, ".", info.extension));
    if (n > 1) names.push_back(absl::StrCat(id, "_", i + 1, ".", info.extension));
    for (const auto& name : names) {
      absl::Status st = deps_.blobs->Put(name, body);
      if (!st.ok()) {
        Fail(a, v1::TASK_STATE_FAILED, st);
        return;
      }
    }
    v1::Output out;
    out.set_uri(absl::StrCat(options_.public_base_url, "/uploads/", names.back()));
    out.set_mime_type(info.mime_type);
    out.set_width(info.width);
    out.set_height(info.height);
    outputs.push_back(std::move(out));
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
      [this, a](absl::StatusOr<TaskRecord> t) {
        if (t.ok() || t.status().code() == absl::StatusCode::kFailedPrecondition) {
          return;
        }
        // The outputs are stored; only the commit failed. Poll again, which
        // fetches and commits anew.
        {
          absl::MutexLock l(&mu_);
          a->fetching = false;
        }
        SchedulePoll(a, options_.poll_interval);
      });
}

}  // namespace mediagw
