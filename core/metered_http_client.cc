#include "core/metered_http_client.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_mapping.h"

namespace mediagw {

MeteredHttpClient::MeteredHttpClient(HttpClient* inner,
                                     absl::string_view channel,
                                     MetricsRegistry& registry)
    : inner_(inner),
      channel_(channel),
      durations_(registry.Histograms(
          "mediagw_upstream_request_duration_seconds",
          "Calls to upstream providers, from sending to the whole answer "
          "(or the error), by channel and outcome",
          {"channel", "outcome"})) {}

std::string MeteredHttpClient::Outcome(
    const absl::StatusOr<HttpResponse>& result) {
  if (!result.ok()) return CodeName(result.status().code());
  const int status = result->status;
  if (status < 100 || status > 599) return "other";
  return absl::StrCat(status / 100, "xx");
}

void MeteredHttpClient::Send(HttpRequest request, HttpCallback done) {
  // A monotonic clock: a wall-clock step must not make a call look long.
  const auto start = std::chrono::steady_clock::now();
  inner_->Send(std::move(request),
               [start, channel = channel_, durations = durations_,
                done = std::move(done)](
                   absl::StatusOr<HttpResponse> result) mutable {
                 const std::chrono::duration<double> took =
                     std::chrono::steady_clock::now() - start;
                 durations.With({channel, Outcome(result)})
                     ->Observe(took.count());
                 done(std::move(result));
               });
}

}  // namespace mediagw
