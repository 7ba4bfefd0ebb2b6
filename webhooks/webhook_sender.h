// The webhook delivery worker (docs/API.md "Webhooks"): reads due outbox
// rows from the store, POSTs each with Standard Webhooks headers (and kie's
// signature for kie callBackUrl tasks), and records every attempt.
//
// Rules:
//  - any 2xx is delivered; a 410 disables the endpoint (the account's URL)
//    for this and every later delivery, until a replay;
//  - anything else (another status, a 3xx, which is never followed, or no
//    reply) is retried with exponential backoff and full jitter until the
//    row's give_up time (Options::max_retry after the task ended); a URL
//    the address policy refuses (SSRF) fails at once;
//  - attempts in flight are bounded per endpoint (URL) and in all;
//  - state lives in the store, so a restart resumes what was pending. An
//    attempt cut by shutdown is not recorded and runs again after the
//    restart (receivers dedupe by webhook-id).
//
// Threads: one thread of its own reads the store (blocking reads never
// touch the curl loop); HTTP callbacks run on the client's loop thread and
// only enqueue the attempt's write; write callbacks run on the store's
// writer thread. Kick() is cheap and thread-safe.
#ifndef MEDIAGW_WEBHOOKS_WEBHOOK_SENDER_H_
#define MEDIAGW_WEBHOOKS_WEBHOOK_SENDER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "core/http_client.h"
#include "core/webhook_store.h"

namespace mediagw::webhooks {

struct SenderOptions {
  absl::Duration attempt_timeout = absl::Seconds(10);
  absl::Duration retry_base = absl::Seconds(5);
  absl::Duration retry_max_delay = absl::Hours(1);
  absl::Duration poll_interval = absl::Seconds(1);
  int max_per_endpoint = 4;
  int max_in_flight = 64;
  // A receiver's reply body is read up to this and otherwise ignored.
  int64_t max_response_bytes = 64 << 10;
};

// Full jitter: uniform in [0, min(max_delay, base * 2^(failures-1))] for
// the wait after the `failures`-th failed attempt (1 = the first); `u` in
// [0, 1). Pure.
absl::Duration Backoff(int failures, absl::Duration base,
                       absl::Duration max_delay, double u);

// Deliveries and outcomes since start, for tests and /metrics.
struct SenderCounts {
  int64_t attempts = 0;
  int64_t delivered = 0;
  int64_t retried = 0;
  int64_t failed = 0;
  int64_t disabled = 0;
};

class WebhookSender {
 public:
  struct Deps {
    WebhookStore* store;  // not owned
    // The webhook client: an SSRF-checked SafeFetcher with redirects off
    // and the webhook allowlist (net/safe_fetcher.h). Not owned.
    HttpClient* http;
    // The account's secrets, newest first ("whsec_..."); none = deliveries
    // go unsigned. Must not block.
    std::function<std::vector<std::string>(const std::string&)> secrets;
    const Clock* clock;  // not owned
  };
  WebhookSender(Deps deps, SenderOptions options);
  ~WebhookSender();  // Stop()
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Registers the mediagw_webhook_* metrics in the global registry.
  static void RegisterMetrics();

  void Start();
  // Reads the outbox now rather than at the next poll.
  void Kick();
  // Stops reading the outbox, then waits until every attempt in flight has
  // called back and its write is done. Call it after the HTTP client has
  // shut down (its transfers then end CANCELLED and are not recorded) or
  // while it still runs (they finish within attempt_timeout), and before
  // the store is destroyed. Idempotent.
  void Stop();

  SenderCounts counts() const;
  // Attempts in flight now (sent, or whose write is not done yet).
  int in_flight() const;

 private:
  struct Attempt;
  void Loop();
  // One read of the due rows and the sends it allows.
  void Pass();
  void Send(OutboxEntry entry);
  void Finished(const std::shared_ptr<Attempt>& attempt,
                absl::StatusOr<HttpResponse> reply);
  // Records the attempt, then releases its slot.
  void Record(AttemptRow row, const std::string& url);
  void Release(const std::string& id, const std::string& url);
  bool Woken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Deps deps_;
  const SenderOptions options_;

  mutable absl::Mutex mu_;
  bool kicked_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<std::string> in_flight_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> per_endpoint_ ABSL_GUARDED_BY(mu_);
  absl::BitGen rng_ ABSL_GUARDED_BY(mu_);
  SenderCounts counts_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace mediagw::webhooks

#endif  // MEDIAGW_WEBHOOKS_WEBHOOK_SENDER_H_
