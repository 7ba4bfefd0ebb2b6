#include "core/retention_sweeper.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/metrics.h"

namespace mediagw {
namespace {

std::atomic<int64_t>* DeletedCounter() {
  static std::atomic<int64_t>* const c = GlobalMetrics().Counter(
      "mediagw_retention_deleted_total",
      "Tasks deleted by the retention sweeper");
  return c;
}

}  // namespace

RetentionSweeper::RetentionSweeper(Deps deps, RetentionOptions options)
    : deps_(deps), options_(options), state_(std::make_shared<State>()) {}

RetentionSweeper::~RetentionSweeper() { Stop(); }

void RetentionSweeper::Start() {
  if (options_.retention <= absl::ZeroDuration()) return;
  absl::MutexLock l(&state_->mu);
  if (state_->stopping || state_->has_timer || state_->in_flight) return;
  ScheduleLocked(options_.first_delay);
}

void RetentionSweeper::Stop() {
  absl::MutexLock l(&state_->mu);
  state_->stopping = true;
  if (state_->has_timer) {
    deps_.scheduler->Cancel(state_->timer);
    state_->has_timer = false;
  }
  state_->mu.Await(absl::Condition(
      +[](State* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
        return !s->in_flight;
      },
      state_.get()));
}

int64_t RetentionSweeper::tasks_deleted() const {
  absl::MutexLock l(&state_->mu);
  return state_->tasks_deleted;
}

int64_t RetentionSweeper::blobs_deleted() const {
  absl::MutexLock l(&state_->mu);
  return state_->blobs_deleted;
}

std::vector<std::string> RetentionSweeper::BlobNames(
    const TaskRecord& record) {
  const std::string& id = record.task().id();
  std::vector<std::string> names;
  if (id.empty()) return names;
  auto add = [&](absl::string_view name) {
    // Only the task's own files: a record is ours, but a name that does
    // not start with its id would delete someone else's blob.
    if (!absl::StartsWith(name, id) || name.size() == id.size()) return;
    for (const std::string& n : names) {
      if (n == name) return;
    }
    names.emplace_back(name);
  };
  for (const v1::Output& out : record.task().outputs()) {
    absl::string_view uri = out.uri();
    const size_t slash = uri.rfind('/');
    absl::string_view name =
        slash == absl::string_view::npos ? uri : uri.substr(slash + 1);
    if (!absl::StartsWith(name, id)) continue;
    add(name);
    // With several outputs the first is stored as "<id>_1.<ext>" and also
    // as "<id>.<ext>" (core/dispatcher_outputs.cc).
    const size_t dot = name.rfind('.');
    if (dot != absl::string_view::npos) {
      add(absl::StrCat(id, name.substr(dot)));
    }
  }
  if (!record.input_blob().empty()) add(record.input_blob());
  return names;
}

void RetentionSweeper::ScheduleLocked(absl::Duration after) {
  std::shared_ptr<State> state = state_;
  state_->has_timer = true;
  state_->timer = deps_.scheduler->RunAt(
      deps_.clock->Now() + after, [this, state] {
        {
          absl::MutexLock l(&state->mu);
          state->has_timer = false;
          if (state->stopping) return;  // `this` may be gone
          state->in_flight = true;
        }
        // The scheduler's thread must not block: the batch reads the store
        // and deletes files.
        deps_.executor->Schedule([this] { RunBatch(); });
      });
}

void RetentionSweeper::RunBatch() {
  const absl::Time cutoff = deps_.clock->Now() - options_.retention;
  absl::StatusOr<RecordScan> scan =
      deps_.store->ListExpired(cutoff, options_.batch_size);
  if (!scan.ok()) {
    BatchDone(0, 0, 0, scan.status());
    return;
  }
  const size_t rows = scan->rows();
  if (rows == 0) {
    BatchDone(0, 0, 0, absl::OkStatus());
    return;
  }
  std::vector<std::string> ids;
  ids.reserve(rows);
  int64_t blobs = 0;
  for (const TaskRecord& record : scan->records) {
    bool files_gone = true;
    for (const std::string& name : BlobNames(record)) {
      absl::Status st = deps_.blobs->Delete(name);
      if (st.ok()) {
        ++blobs;
      } else {
        // The row stays, so the next sweep tries its files again.
        MG_LOG(Warning, "retention: cannot delete blob ", name, ": ",
               st.ToString());
        files_gone = false;
      }
    }
    if (files_gone) ids.push_back(record.task().id());
  }
  // An unreadable row does not say which files it had; its row goes anyway
  // so that it cannot fill every batch for ever.
  for (const UnreadableRow& row : scan->unreadable) {
    MG_LOG(Warning, "retention: deleting unreadable task ", row.id,
           "; its files, if any, stay");
    ids.push_back(row.id);
  }
  if (ids.empty()) {
    BatchDone(rows, 0, blobs,
              absl::UnavailableError("no task of the batch could be deleted"));
    return;
  }
  const size_t n = ids.size();
  deps_.store->DeleteTerminal(
      std::move(ids), [this, rows, n, blobs](absl::Status st) {
        BatchDone(rows, n, blobs, st);
      });
}

void RetentionSweeper::BatchDone(size_t rows, size_t deleted, int64_t blobs,
                                 const absl::Status& status) {
  if (!status.ok()) {
    MG_LOG(Warning, "retention: batch failed: ", status.ToString());
  }
  absl::MutexLock l(&state_->mu);
  state_->blobs_deleted += blobs;
  if (status.ok()) {
    state_->tasks_deleted += static_cast<int64_t>(deleted);
    DeletedCounter()->fetch_add(static_cast<int64_t>(deleted));
  }
  state_->in_flight = false;
  if (state_->stopping) return;
  if (status.code() == absl::StatusCode::kUnimplemented) return;
  // A full batch deleted means more may be waiting: go on after a short
  // pause so the store's writer serves submits in between. Otherwise
  // (caught up, or rows kept because their files would not go) come back
  // later rather than retrying the same rows at once.
  const bool more = status.ok() &&
                    rows >= static_cast<size_t>(options_.batch_size) &&
                    deleted == rows;
  ScheduleLocked(more ? options_.pause : options_.interval);
}

}  // namespace mediagw
