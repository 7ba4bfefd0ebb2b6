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
  // A retired task has left the counts for good (Retire cleared it).
  absl::MutexLock l(&a->mu);
  if (a->retired) return;
  slots_.SetWaiting(a->record_id, workflow);
}

std::vector<std::pair<std::string, int>> Dispatcher::ChannelActiveCounts()
    const {
  return slots_.ActiveCounts();
}

std::vector<std::pair<std::string, int>> Dispatcher::WaitingForChannelCounts()
    const {
  return slots_.WaitingCounts();
}

void Dispatcher::RegisterMetrics(MetricsRegistry& registry) {
  TaskWriter::RegisterMetrics(registry);
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

}  // namespace mediagw
