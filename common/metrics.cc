#include "common/metrics.h"

#include "absl/strings/str_cat.h"

namespace mediagw {

std::atomic<int64_t>* MetricsRegistry::Counter(absl::string_view name,
                                               absl::string_view help,
                                               absl::string_view labels) {
  absl::MutexLock l(&mu_);
  Family& f = families_[std::string(name)];
  if (f.help.empty()) f.help = std::string(help);
  auto& slot = f.counters[std::string(labels)];
  if (!slot) slot = std::make_unique<std::atomic<int64_t>>(0);
  return slot.get();
}

void MetricsRegistry::Gauge(absl::string_view name, absl::string_view help,
                            std::function<double()> read) {
  absl::MutexLock l(&mu_);
  Family& f = families_[std::string(name)];
  f.help = std::string(help);
  f.gauge = true;
  f.read = std::move(read);
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::string out;
  std::vector<std::pair<std::string, std::function<double()>>> gauges;
  {
    absl::MutexLock l(&mu_);
    for (const auto& [name, f] : families_) {
      if (f.gauge) {
        gauges.emplace_back(name, f.read);
        continue;
      }
      absl::StrAppend(&out, "# HELP ", name, " ", f.help, "\n# TYPE ", name,
                      " counter\n");
      for (const auto& [labels, value] : f.counters) {
        absl::StrAppend(&out, name, labels.empty() ? "" : "{", labels,
                        labels.empty() ? "" : "}", " ", value->load(), "\n");
      }
    }
  }
  // Gauge readers may take other locks; call them without ours.
  for (const auto& [name, read] : gauges) {
    absl::StrAppend(&out, "# TYPE ", name, " gauge\n", name, " ",
                    read ? read() : 0.0, "\n");
  }
  return out;
}

MetricsRegistry& GlobalMetrics() {
  static auto* registry = new MetricsRegistry();
  return *registry;
}

}  // namespace mediagw
