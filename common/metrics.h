// Process-wide counters, gauges and histograms rendered in the Prometheus
// text exposition format (version 0.0.4): one `# HELP` and `# TYPE` per
// family, counters named `*_total`, histograms as cumulative `_bucket{le=..}`
// series with `_sum` and `_count`, label values escaped (\\, \", \n) and
// repaired to UTF-8.
//
// Thread-safe. Families and series are never removed, so every pointer
// handed out stays valid for the life of the registry. Hot paths look a
// series up once (or once per label combination) and then update it with a
// relaxed atomic; a lookup takes the family's lock only for a map lookup.
// Label values become series: only pass values from a bounded set (workflow
// and channel names from the configuration, status codes), never request
// text.
#ifndef MEDIAGW_COMMON_METRICS_H_
#define MEDIAGW_COMMON_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace mediagw {

// Upper bounds (seconds) for request and upstream call durations.
const std::vector<double>& DurationBuckets();

// One histogram series. Observe is lock-free.
class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);
  // NaN is ignored.
  void Observe(double value);
  // Snapshot: per-bucket counts (non-cumulative, the last is +Inf) and sum.
  std::vector<int64_t> BucketCounts() const;
  double Sum() const;

 private:
  const std::vector<double>* bounds_;  // ascending; owned by the family
  std::unique_ptr<std::atomic<int64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

namespace metrics_internal {
struct Family;
}  // namespace metrics_internal

// Handles to labelled families; cheap to copy, valid as long as the
// registry. `values` are given in the order of the family's label names
// (missing ones count as "", extra ones are ignored).
class CounterFamily {
 public:
  std::atomic<int64_t>* With(std::initializer_list<absl::string_view> values);

 private:
  friend class MetricsRegistry;
  metrics_internal::Family* f_ = nullptr;
};

// Gauges set by the code that knows the value (e.g. streams open now).
class GaugeFamily {
 public:
  std::atomic<int64_t>* With(std::initializer_list<absl::string_view> values);

 private:
  friend class MetricsRegistry;
  metrics_internal::Family* f_ = nullptr;
};

class HistogramFamily {
 public:
  Histogram* With(std::initializer_list<absl::string_view> values);

 private:
  friend class MetricsRegistry;
  metrics_internal::Family* f_ = nullptr;
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();

  // An unlabelled or pre-labelled counter. `labels` is the inside of the
  // braces, e.g. `code="OK"`, or empty; the caller escapes it.
  std::atomic<int64_t>* Counter(absl::string_view name, absl::string_view help,
                                absl::string_view labels = "");
  // A gauge read at render time, from the rendering thread, without any
  // registry lock held. Registering the name again replaces the reader.
  void Gauge(absl::string_view name, absl::string_view help,
             std::function<double()> read);

  // Labelled families. Registering an existing name returns the same
  // family (help and labels of the first registration stay); a name already
  // used by another type gets a family that is never rendered.
  CounterFamily Counters(absl::string_view name, absl::string_view help,
                         std::vector<std::string> label_names);
  GaugeFamily Gauges(absl::string_view name, absl::string_view help,
                     std::vector<std::string> label_names);
  // `bounds` ascending (DurationBuckets() when empty); +Inf is implied.
  HistogramFamily Histograms(absl::string_view name, absl::string_view help,
                             std::vector<std::string> label_names,
                             std::vector<double> bounds = {});
  // A labelled gauge family read at render time, as Gauge: `read` returns
  // every series as (label values, value).
  using LabelledValues =
      std::vector<std::pair<std::vector<std::string>, double>>;
  void GaugeFunc(absl::string_view name, absl::string_view help,
                 std::vector<std::string> label_names,
                 std::function<LabelledValues()> read);

  std::string RenderPrometheus() const;

 private:
  metrics_internal::Family* GetFamily(absl::string_view name,
                                      absl::string_view help, int type,
                                      std::vector<std::string> label_names);
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<metrics_internal::Family>, std::less<>>
      families_ ABSL_GUARDED_BY(mu_);
  // Families whose name was taken by another type: kept so that their
  // series stay valid, never rendered.
  std::vector<std::unique_ptr<metrics_internal::Family>> orphans_
      ABSL_GUARDED_BY(mu_);
};

MetricsRegistry& GlobalMetrics();

// `value` escaped for a label value (\\, \", \n) after UTF-8 repair.
std::string EscapeLabelValue(absl::string_view value);
// A sample value: integers without a fraction, +Inf/-Inf/NaN by name,
// otherwise the shortest text that reads back as the same double.
std::string FormatMetricValue(double value);

}  // namespace mediagw

#endif  // MEDIAGW_COMMON_METRICS_H_
