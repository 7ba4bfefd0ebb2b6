#include "core/task_writer.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "core/state_machine.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"

namespace mediagw {
namespace {

CounterFamily FinishedFamily(MetricsRegistry& registry) {
  return registry.Counters(
      "mediagw_tasks_finished_total",
      "Tasks that reached a final state, by workflow, channel (empty when "
      "none was chosen) and state",
      {"workflow", "channel", "state"});
}

void CountFinished(const TaskRecord& record) {
  static CounterFamily finished = FinishedFamily(GlobalMetrics());
  finished
      .With({record.task().workflow(), record.channel(),
             v1::TaskState_Name(record.task().state())})
      ->fetch_add(1, std::memory_order_relaxed);
}

google::protobuf::Timestamp ProtoTime(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(t));
}

}  // namespace

TaskWriter::TaskWriter(TaskStore* store, EventBus* bus, const Clock* clock)
    : store_(store), bus_(bus), clock_(clock) {}

void TaskWriter::AddHook(TransitionRows* hook) { hooks_.push_back(hook); }

void TaskWriter::RegisterMetrics(MetricsRegistry& registry) {
  FinishedFamily(registry);
}

absl::Status TaskWriter::CollectRows(const TaskRecord* before,
                                     TaskRecord* next, SideRows* rows) {
  for (TransitionRows* hook : hooks_) {
    if (absl::Status st = hook->AddRows(before, next, rows); !st.ok()) {
      return st;
    }
  }
  return absl::OkStatus();
}

void TaskWriter::Create(TaskRecord record, RecordCallback done) {
  SideRows rows;
  if (absl::Status st = CollectRows(nullptr, &record, &rows); !st.ok()) {
    done(st);
    return;
  }
  auto shared = std::make_shared<TaskRecord>(std::move(record));
  store_->Insert(*shared, std::move(rows),
                 [this, shared, done = std::move(done)](absl::Status st) {
                   if (!st.ok()) {
                     done(st);
                     return;
                   }
                   for (TransitionRows* hook : hooks_) {
                     hook->Committed(nullptr, *shared);
                   }
                   done(*shared);
                 });
}

void TaskWriter::Commit(const TaskRecord& current, TaskRecord next,
                        RecordCallback done) {
  const v1::TaskState from = current.task().state();
  const v1::TaskState to = next.task().state();
  if (from != to && !CanTransition(from, to)) {
    done(absl::FailedPreconditionError(
        absl::StrCat("task ", current.task().id(), " cannot go from ",
                     v1::TaskState_Name(from), " to ", v1::TaskState_Name(to))));
    return;
  }
  next.set_version(current.version() + 1);
  SideRows rows;
  if (absl::Status st = CollectRows(&current, &next, &rows); !st.ok()) {
    done(st);
    return;
  }
  // Bookkeeping that callers cannot see (e.g. submit_sent) is stored but is
  // no change of the task: no new update_time, no event.
  const bool visible = !google::protobuf::util::MessageDifferencer::Equals(
      current.task(), next.task());
  if (visible) {
    *next.mutable_task()->mutable_update_time() = ProtoTime(clock_->Now());
  }
  auto before = std::make_shared<TaskRecord>(current);
  auto shared = std::make_shared<TaskRecord>(std::move(next));
  store_->Update(
      *shared, std::move(rows),
      [this, before, shared, visible, done = std::move(done)](absl::Status st) {
        if (!st.ok()) {
          done(st);
          return;
        }
        // Logged before anything that may commit the task's next change,
        // so a task's lines come in the order of its changes.
        LogChange(before->task().state(),
                  before->upstream_id() != shared->upstream_id(), *shared);
        if (visible) bus_->Publish(shared->task(), shared->version());
        if (IsTerminal(shared->task().state())) CountFinished(*shared);
        for (TransitionRows* hook : hooks_) hook->Committed(before.get(), *shared);
        done(*shared);
      });
}

void TaskWriter::LogChange(v1::TaskState before, bool new_upstream_id,
                           const TaskRecord& next) {
  if (!LogEnabled(LogLevel::kInfo)) return;
  const v1::TaskState state = next.task().state();
  if (state == before && !new_upstream_id) return;  // progress, inputs, ...
  const char* msg = "task state changed";
  if (IsTerminal(state)) {
    msg = "task finished";
  } else if (state == v1::TASK_STATE_SUBMITTING && before != state) {
    msg = "task sent to channel";
  } else if (state == v1::TASK_STATE_QUEUED && before != state) {
    msg = "upstream id assigned";  // the upstream accepted the job
  } else if (state == before) {
    msg = "upstream id assigned";
  }
  const std::string state_name = v1::TaskState_Name(state);
  const std::string from = before == v1::TASK_STATE_UNSPECIFIED
                               ? std::string()
                               : v1::TaskState_Name(before);
  if (IsTerminal(state)) {
    // The error was sanitized (repaired, bounded) when it was stored.
    MG_LOGF(Info, msg, {"task_id", next.task().id()},
            {"request_id", next.request_id()},
            {"workflow", next.task().workflow()}, {"channel", next.channel()},
            {"upstream_id", next.upstream_id()}, {"state", state_name},
            {"from", from}, {"code", next.task().error().code()},
            {"reason", next.task().error().message()},
            {"attempts", next.attempts()},
            {"outputs", next.task().outputs_size()});
    return;
  }
  MG_LOGF(Info, msg, {"task_id", next.task().id()},
          {"request_id", next.request_id()},
          {"workflow", next.task().workflow()}, {"channel", next.channel()},
          {"upstream_id", next.upstream_id()}, {"state", state_name},
          {"from", from}, {"attempts", next.attempts()});
}
}  // namespace mediagw
