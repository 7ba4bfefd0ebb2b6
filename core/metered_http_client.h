// An HttpClient that times every call of one channel's provider into
// mediagw_upstream_request_duration_seconds{channel,outcome} and passes it
// on unchanged. `outcome` is the HTTP status class of an answer ("2xx",
// "3xx", "4xx", "5xx") or, for a call that got none, the transport error's
// code name ("UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED",
// "CANCELLED", "PERMISSION_DENIED", ...), a bounded set.
//
// Thread-safe as the client it wraps. The wrapped client must outlive this
// one; callbacks keep no pointer to this object, so it may go before the
// calls it started finish.
#ifndef MEDIAGW_CORE_METERED_HTTP_CLIENT_H_
#define MEDIAGW_CORE_METERED_HTTP_CLIENT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "common/metrics.h"
#include "core/http_client.h"

namespace mediagw {

class MeteredHttpClient : public HttpClient {
 public:
  MeteredHttpClient(HttpClient* inner, absl::string_view channel,
                    MetricsRegistry& registry = GlobalMetrics());
  void Send(HttpRequest request, HttpCallback done) override;

  // The outcome label of a finished call.
  static std::string Outcome(const absl::StatusOr<HttpResponse>& result);

 private:
  HttpClient* const inner_;
  const std::string channel_;
  HistogramFamily durations_;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_METERED_HTTP_CLIENT_H_
