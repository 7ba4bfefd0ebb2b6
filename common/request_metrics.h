// The request metrics of the two front ends, for the adapters to record
// (docs/OPERATIONS.md lists them):
//   mediagw_http_requests_total{route,code}
//   mediagw_http_request_duration_seconds{route}       histogram
//   mediagw_grpc_requests_total{method,code}
//   mediagw_grpc_request_duration_seconds{method}      histogram
//   mediagw_grpc_open_streams                          gauge
// `route` is the route table's pattern (a bounded set, never the raw path);
// `method` the gRPC full method name; `code` the HTTP status number or the
// gRPC status code name ("OK", "NOT_FOUND", ...).
//
// Thread-safe and cheap: a short map lookup per call, then relaxed atomics.
// The families are registered on first use (or by RegisterRequestMetrics, so
// that /metrics lists them before the first request).
#ifndef MEDIAGW_COMMON_REQUEST_METRICS_H_
#define MEDIAGW_COMMON_REQUEST_METRICS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/metrics.h"

namespace mediagw {

// Registers every family above in `registry` (idempotent).
void RegisterRequestMetrics(MetricsRegistry& registry = GlobalMetrics());

void RecordHttpRequest(absl::string_view route, int status,
                       absl::Duration duration);
void RecordGrpcRequest(absl::string_view method, absl::StatusCode code,
                       absl::Duration duration);

// A server stream (WatchTask) opened / ended: mediagw_grpc_open_streams.
void GrpcStreamOpened();
void GrpcStreamClosed();

}  // namespace mediagw

#endif  // MEDIAGW_COMMON_REQUEST_METRICS_H_
