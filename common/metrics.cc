#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/logging.h"
#include "common/utf8.h"

namespace mediagw {
namespace metrics_internal {

enum Type { kCounter = 0, kGauge = 1, kHistogram = 2, kGaugeFunc = 3 };

struct Family {
  std::string name;
  std::string help;
  int type = kCounter;
  std::vector<std::string> label_names;
  std::vector<double> bounds;  // histograms

  // Series by their rendered labels (`a="x",b="y"`), so that rendering
  // needs no escaping and a lookup needs one string build.
  absl::Mutex mu;
  absl::flat_hash_map<std::string, std::unique_ptr<std::atomic<int64_t>>>
      values ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, std::unique_ptr<Histogram>> histograms
      ABSL_GUARDED_BY(mu);
  std::function<double()> read ABSL_GUARDED_BY(mu);
  std::function<MetricsRegistry::LabelledValues()> read_all
      ABSL_GUARDED_BY(mu);

  template <typename Values>
  std::string LabelKey(const Values& v) const {
    std::string key;
    auto it = v.begin();
    for (size_t i = 0; i < label_names.size(); ++i) {
      absl::string_view value;
      if (it != v.end()) value = *it++;
      absl::StrAppend(&key, i == 0 ? "" : ",", label_names[i], "=\"",
                      EscapeLabelValue(value), "\"");
    }
    return key;
  }

  std::atomic<int64_t>* Value(const std::string& key) {
    absl::MutexLock l(&mu);
    auto& slot = values[key];
    if (!slot) slot = std::make_unique<std::atomic<int64_t>>(0);
    return slot.get();
  }
};

}  // namespace metrics_internal

namespace {

using metrics_internal::Family;

constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram",
                                      "gauge"};

std::string EscapeHelp(absl::string_view help) {
  std::string out;
  for (char c : RepairUtf8(help)) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `{labels}` or `{labels,extra}`, or nothing when both are empty.
std::string Braces(absl::string_view labels, absl::string_view extra = "") {
  if (labels.empty() && extra.empty()) return "";
  return absl::StrCat("{", labels, labels.empty() || extra.empty() ? "" : ",",
                      extra, "}");
}

template <typename Map>
std::vector<typename Map::const_pointer> Sorted(const Map& m) {
  std::vector<typename Map::const_pointer> out;
  out.reserve(m.size());
  for (const auto& kv : m) out.push_back(&kv);
  std::sort(out.begin(), out.end(),
            [](auto* a, auto* b) { return a->first < b->first; });
  return out;
}

// Everything of a family that needs no callback, under its lock.
void RenderSeries(Family& f, std::string* out) {
  absl::MutexLock l(&f.mu);
  if (f.type == metrics_internal::kHistogram) {
    for (const auto* kv : Sorted(f.histograms)) {
      const std::string& labels = kv->first;
      const std::vector<int64_t> counts = kv->second->BucketCounts();
      int64_t cumulative = 0;
      for (size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        const std::string le =
            i < f.bounds.size() ? FormatMetricValue(f.bounds[i]) : "+Inf";
        absl::StrAppend(out, f.name, "_bucket",
                        Braces(labels, absl::StrCat("le=\"", le, "\"")), " ",
                        cumulative, "\n");
      }
      absl::StrAppend(out, f.name, "_sum", Braces(labels), " ",
                      FormatMetricValue(kv->second->Sum()), "\n", f.name,
                      "_count", Braces(labels), " ", cumulative, "\n");
    }
    return;
  }
  for (const auto* kv : Sorted(f.values)) {
    absl::StrAppend(out, f.name, Braces(kv->first), " ", kv->second->load(),
                    "\n");
  }
}

}  // namespace

const std::vector<double>& DurationBuckets() {
  static const auto* const kBuckets = new std::vector<double>{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
  return *kBuckets;
}

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds),
      counts_(new std::atomic<int64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  // Bucket i counts values <= bounds[i]; rendering makes them cumulative.
  const size_t i = static_cast<size_t>(
      std::lower_bound(bounds_->begin(), bounds_->end(), value) -
      bounds_->begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  double old = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(old, old + value,
                                     std::memory_order_relaxed)) {
  }
}

std::vector<int64_t> Histogram::BucketCounts() const {
  std::vector<int64_t> out(bounds_->size() + 1);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = counts_[i].load(std::memory_order_relaxed);
  }
  return out;
}

double Histogram::Sum() const { return sum_.load(std::memory_order_relaxed); }

std::atomic<int64_t>* CounterFamily::With(
    std::initializer_list<absl::string_view> values) {
  return f_->Value(f_->LabelKey(values));
}

std::atomic<int64_t>* GaugeFamily::With(
    std::initializer_list<absl::string_view> values) {
  return f_->Value(f_->LabelKey(values));
}

Histogram* HistogramFamily::With(
    std::initializer_list<absl::string_view> values) {
  std::string key = f_->LabelKey(values);
  absl::MutexLock l(&f_->mu);
  auto& slot = f_->histograms[key];
  if (!slot) slot = std::make_unique<Histogram>(&f_->bounds);
  return slot.get();
}

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

Family* MetricsRegistry::GetFamily(absl::string_view name,
                                   absl::string_view help, int type,
                                   std::vector<std::string> label_names) {
  absl::MutexLock l(&mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second->type == type) return it->second.get();
    MG_LOG(Error, "metric ", name, " registered as ", kTypeNames[type],
           " and as ", kTypeNames[it->second->type]);
    auto orphan = std::make_unique<Family>();
    orphan->type = type;
    orphan->label_names = std::move(label_names);
    orphans_.push_back(std::move(orphan));
    return orphans_.back().get();
  }
  auto f = std::make_unique<Family>();
  f->name = std::string(name);
  f->help = std::string(help);
  f->type = type;
  f->label_names = std::move(label_names);
  Family* raw = f.get();
  families_.emplace(std::string(name), std::move(f));
  return raw;
}

std::atomic<int64_t>* MetricsRegistry::Counter(absl::string_view name,
                                               absl::string_view help,
                                               absl::string_view labels) {
  return GetFamily(name, help, metrics_internal::kCounter, {})
      ->Value(std::string(labels));
}

void MetricsRegistry::Gauge(absl::string_view name, absl::string_view help,
                            std::function<double()> read) {
  Family* f = GetFamily(name, help, metrics_internal::kGaugeFunc, {});
  absl::MutexLock l(&f->mu);
  f->read = std::move(read);
  f->read_all = nullptr;
}

void MetricsRegistry::GaugeFunc(absl::string_view name, absl::string_view help,
                                std::vector<std::string> label_names,
                                std::function<LabelledValues()> read) {
  Family* f = GetFamily(name, help, metrics_internal::kGaugeFunc,
                        std::move(label_names));
  absl::MutexLock l(&f->mu);
  f->read = nullptr;
  f->read_all = std::move(read);
}

CounterFamily MetricsRegistry::Counters(absl::string_view name,
                                        absl::string_view help,
                                        std::vector<std::string> label_names) {
  CounterFamily h;
  h.f_ = GetFamily(name, help, metrics_internal::kCounter,
                   std::move(label_names));
  return h;
}

GaugeFamily MetricsRegistry::Gauges(absl::string_view name,
                                    absl::string_view help,
                                    std::vector<std::string> label_names) {
  GaugeFamily h;
  h.f_ = GetFamily(name, help, metrics_internal::kGauge,
                   std::move(label_names));
  return h;
}

HistogramFamily MetricsRegistry::Histograms(
    absl::string_view name, absl::string_view help,
    std::vector<std::string> label_names, std::vector<double> bounds) {
  if (bounds.empty()) bounds = DurationBuckets();
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  // +Inf is always the last bucket; NaN bounds cannot be compared.
  bounds.erase(std::remove_if(bounds.begin(), bounds.end(),
                              [](double b) { return !std::isfinite(b); }),
               bounds.end());
  Family* f = GetFamily(name, help, metrics_internal::kHistogram,
                        std::move(label_names));
  {
    // The bounds are fixed once the first series exists (series point at
    // them); a later registration with others keeps the first ones.
    absl::MutexLock l(&f->mu);
    if (f->histograms.empty() && f->bounds.empty()) f->bounds = bounds;
  }
  HistogramFamily h;
  h.f_ = f;
  return h;
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::vector<Family*> families;
  {
    absl::MutexLock l(&mu_);
    for (const auto& [name, f] : families_) families.push_back(f.get());
  }
  std::string out;
  for (Family* f : families) {
    absl::StrAppend(&out, "# HELP ", f->name, " ", EscapeHelp(f->help),
                    "\n# TYPE ", f->name, " ", kTypeNames[f->type], "\n");
    if (f->type != metrics_internal::kGaugeFunc) {
      RenderSeries(*f, &out);
      continue;
    }
    std::function<double()> read;
    std::function<LabelledValues()> read_all;
    {
      absl::MutexLock l(&f->mu);
      read = f->read;
      read_all = f->read_all;
    }
    // Readers may take other locks (the dispatcher's, the HTTP server's):
    // they run with none of ours held.
    if (read_all) {
      LabelledValues values = read_all();
      std::vector<std::pair<std::string, double>> series;
      series.reserve(values.size());
      for (const auto& [labels, value] : values) {
        series.emplace_back(f->LabelKey(labels), value);
      }
      std::sort(series.begin(), series.end());
      for (const auto& [labels, value] : series) {
        absl::StrAppend(&out, f->name, Braces(labels), " ",
                        FormatMetricValue(value), "\n");
      }
    } else {
      absl::StrAppend(&out, f->name, " ",
                      FormatMetricValue(read ? read() : 0.0), "\n");
    }
  }
  return out;
}

MetricsRegistry& GlobalMetrics() {
  static auto* registry = new MetricsRegistry();
  return *registry;
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string repaired;
  if (!IsValidUtf8(value)) {
    repaired = RepairUtf8(value);
    value = repaired;
  }
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  for (int precision = 6; precision < 17; ++precision) {
    std::string s = absl::StrFormat("%.*g", precision, value);
    if (std::strtod(s.c_str(), nullptr) == value) return s;
  }
  return absl::StrFormat("%.17g", value);
}

}  // namespace mediagw
