// What the dispatcher tells operators: one log line per committed change of
// a task, finished tasks counted, and gauges of the work in flight.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "common/metrics.h"
#include "core/dispatcher.h"
#include "core/dispatcher_internal.h"
#include "core/state_machine.h"

namespace mediagw {
namespace {

std::vector<std::pair<std::string, int>> Sorted(
    const absl::flat_hash_map<std::string, int>& m) {
  std::vector<std::pair<std::string, int>> out(m.begin(), m.end());
  std::sort(out.begin(), out.end());
  return out;
}

CounterFamily FinishedFamily(MetricsRegistry& registry) {
  return registry.Counters(
      "mediagw_tasks_finished_total",
      "Tasks that reached a final state, by workflow, channel (empty when "
      "none was chosen) and state",
      {"workflow", "channel", "state"});
}

MetricsRegistry::LabelledValues AsLabelled(
    const std::vector<std::pair<std::string, int>>& counts) {
  MetricsRegistry::LabelledValues out;
  out.reserve(counts.size());
  for (const auto& [name, n] : counts) out.push_back({{name}, double(n)});
  return out;
}

}  // namespace

void Dispatcher::SetWaitingForChannel(const std::shared_ptr<Active>& a,
                                      const std::string& workflow) {
  absl::MutexLock l(&mu_);
  // A retired task has left the counts for good (Retire cleared it).
  if (a->retired || a->waiting_workflow == workflow) return;
  if (!a->waiting_workflow.empty()) --channel_waiters_[a->waiting_workflow];
  a->waiting_workflow = workflow;
  if (!workflow.empty()) ++channel_waiters_[workflow];
}

std::vector<std::pair<std::string, int>> Dispatcher::ChannelActiveCounts()
    const {
  absl::MutexLock l(&mu_);
  return Sorted(channel_load_);
}

std::vector<std::pair<std::string, int>> Dispatcher::WaitingForChannelCounts()
    const {
  absl::MutexLock l(&mu_);
  return Sorted(channel_waiters_);
}

void Dispatcher::RegisterMetrics(MetricsRegistry& registry) {
  FinishedFamily(registry);  // listed before the first task finishes
  registry.Gauge("mediagw_active_tasks", "Tasks driven upstream now",
                 [this] { return double(ActiveCount()); });
  registry.Gauge("mediagw_waiting_tasks",
                 "Tasks PENDING in the store, waiting for a dispatcher slot",
                 [this] { return double(WaitingCount()); });
  registry.GaugeFunc(
      "mediagw_channel_active_tasks",
      "Tasks submitted to or running on each channel now", {"channel"},
      [this] { return AsLabelled(ChannelActiveCounts()); });
  registry.GaugeFunc(
      "mediagw_workflow_waiting_tasks",
      "Admitted tasks waiting for a channel of their workflow to take them",
      {"workflow"}, [this] { return AsLabelled(WaitingForChannelCounts()); });
}

void Dispatcher::LogChange(v1::TaskState before, bool new_upstream_id,
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

void Dispatcher::CountFinished(const TaskRecord& record) {
  static CounterFamily finished = FinishedFamily(GlobalMetrics());
  finished
      .With({record.task().workflow(), record.channel(),
             v1::TaskState_Name(record.task().state())})
      ->fetch_add(1, std::memory_order_relaxed);
}

}  // namespace mediagw
