#include "common/request_metrics.h"

#include "absl/strings/str_cat.h"
#include "common/status_mapping.h"

namespace mediagw {
namespace {

struct RequestFamilies {
  CounterFamily http_requests;
  HistogramFamily http_duration;
  CounterFamily grpc_requests;
  HistogramFamily grpc_duration;
  std::atomic<int64_t>* grpc_streams;
};

RequestFamilies Make(MetricsRegistry& r) {
  return RequestFamilies{
      r.Counters("mediagw_http_requests_total",
                 "HTTP requests answered, by route and status code",
                 {"route", "code"}),
      r.Histograms("mediagw_http_request_duration_seconds",
                   "HTTP request duration from arrival to the last byte "
                   "handed to the socket, by route",
                   {"route"}),
      r.Counters("mediagw_grpc_requests_total",
                 "gRPC calls finished, by method and status code",
                 {"method", "code"}),
      r.Histograms("mediagw_grpc_request_duration_seconds",
                   "gRPC call duration, by method", {"method"}),
      r.Gauges("mediagw_grpc_open_streams",
               "gRPC server streams (WatchTask) open now", {})
          .With({}),
  };
}

RequestFamilies& Global() {
  static auto* const families = new RequestFamilies(Make(GlobalMetrics()));
  return *families;
}

}  // namespace

void RegisterRequestMetrics(MetricsRegistry& registry) {
  if (&registry == &GlobalMetrics()) {
    Global();
    return;
  }
  Make(registry);
}

void RecordHttpRequest(absl::string_view route, int status,
                       absl::Duration duration) {
  RequestFamilies& f = Global();
  const std::string code = absl::StrCat(status);
  f.http_requests.With({route, code})->fetch_add(1, std::memory_order_relaxed);
  f.http_duration.With({route})->Observe(absl::ToDoubleSeconds(duration));
}

void RecordGrpcRequest(absl::string_view method, absl::StatusCode code,
                       absl::Duration duration) {
  RequestFamilies& f = Global();
  f.grpc_requests.With({method, CodeName(code)})
      ->fetch_add(1, std::memory_order_relaxed);
  f.grpc_duration.With({method})->Observe(absl::ToDoubleSeconds(duration));
}

void GrpcStreamOpened() {
  Global().grpc_streams->fetch_add(1, std::memory_order_relaxed);
}

void GrpcStreamClosed() {
  Global().grpc_streams->fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace mediagw
