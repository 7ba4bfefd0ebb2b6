// Process-wide counters and gauges rendered in the Prometheus text format.
// Thread-safe. Counter pointers are stable for the life of the registry, so
// hot paths look a counter up once and increment it lock-free.
#ifndef MEDIAGW_COMMON_METRICS_H_
#define MEDIAGW_COMMON_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace mediagw {

class MetricsRegistry {
 public:
  // `labels` is the inside of the braces, e.g. `code="OK"`, or empty.
  std::atomic<int64_t>* Counter(absl::string_view name, absl::string_view help,
                                absl::string_view labels = "");
  // `read` is called at render time, from the rendering thread.
  void Gauge(absl::string_view name, absl::string_view help,
             std::function<double()> read);
  std::string RenderPrometheus() const;

 private:
  struct Family {
    std::string help;
    bool gauge = false;
    std::map<std::string, std::unique_ptr<std::atomic<int64_t>>> counters;
    std::function<double()> read;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, Family> families_ ABSL_GUARDED_BY(mu_);
};

MetricsRegistry& GlobalMetrics();

}  // namespace mediagw

#endif  // MEDIAGW_COMMON_METRICS_H_
