// CurlMultiClient: the process-wide HTTP client and loop scheduler. One thread
// (the "loop thread", started by the constructor) owns the CURLM handle, every
// easy handle, and a deadline heap of timers; it sleeps in curl_multi_poll and
// is woken with curl_multi_wakeup when another thread enqueues work.
//
// Threading and callbacks:
//  - Send, RunAt, Cancel, Now, Wakeup, GetStats and Shutdown are thread-safe.
//  - Every HttpCallback and every timer function runs on the loop thread,
//    never while the client's mutex is held, so it may call back into the
//    client (Send, RunAt, Cancel). It must be short and must not block.
//  - Timers fire in deadline order (ties in RunAt order).
//  - After Shutdown() has begun, Send runs `done` with CANCELLED inline on the
//    calling thread (the loop is gone), and RunAt drops `fn` and returns an id
//    that never fires.
//
// Status codes passed to HttpCallback (see also core/http_client.h):
//  - OK with any HTTP status, including 4xx/5xx.
//  - DEADLINE_EXCEEDED: connect timeout, total timeout or low-speed abort.
//  - UNAVAILABLE: connection refused, DNS failure, reset, empty reply,
//    truncated body, malformed response (including headers over curl's own
//    300 KB total limit) or redirect Location; the message carries curl's
//    text.
//  - RESOURCE_EXHAUSTED: response body larger than max_response_bytes.
//  - INVALID_ARGUMENT: malformed URL, unsupported scheme (only http and https
//    are allowed), a header containing CR/LF, or negative max_redirects.
//  - PERMISSION_DENIED: connect_filter refused every address of a hop
//    ("connection to <ip:port> refused: private or reserved address"), or a
//    redirect pointed at a scheme other than http(s).
//  - FAILED_PRECONDITION: more than max_redirects redirects.
//  - CANCELLED: the client shut down before the transfer finished.
//  - INTERNAL: curl refused the request set-up (out of memory, bad option).
//
// Connection reuse: curl's connection cache lives in the multi handle, so
// sequential requests to one origin share a keep-alive connection. POST and
// PATCH always open a connection of their own: on a reused one that died
// before the first reply byte curl would send them again by itself. Easy
// handles are pooled (curl_easy_reset) rather than recreated.
//
// Redirects are followed only when HttpRequest::max_redirects > 0 (each hop
// is again restricted to http and https, and checked by connect_filter);
// otherwise a 3xx is the response. Only http and https are ever spoken, so
// HttpRequest::http_only is always in force. "Expect: 100-continue" is never
// sent.
//
// connect_filter: called on the loop thread with each resolved address before
// a socket is created for it (every Happy Eyeballs attempt, every redirect
// hop); the request owns the filter, which lives until the callback has run.
// Such a request ignores proxies (so the filter sees the real peer) and
// neither reuses a cached connection nor leaves its own for reuse (a cached
// one may have been opened without the filter).
//
// Time: Now() and timer deadlines use the injected Clock, but the loop sleeps
// in real time. A test that advances a FakeClock calls Wakeup() so that timers
// now due fire without waiting for the next poll (at most max_poll_wait).
//
// Lifetime: the destructor calls Shutdown(). Shutdown stops the loop, runs the
// callbacks of queued and in-flight requests with CANCELLED (on the loop
// thread), drops pending timers, and joins. It must not be called from the
// loop thread itself (that would self-join); doing so only requests the stop.
#ifndef MEDIAGW_NET_CURL_MULTI_CLIENT_H_
#define MEDIAGW_NET_CURL_MULTI_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <thread>
#include <vector>

#include <curl/curl.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "core/http_client.h"

namespace mediagw::net {

namespace internal {
struct CurlTransfer;  // one request in flight; defined in the .cc
}  // namespace internal

class CurlMultiClient : public HttpClient, public Scheduler {
 public:
  struct Options {
    // Time source for Now() and timers; not owned, must outlive the client.
    // nullptr means a RealClock owned by the client.
    const Clock* clock = nullptr;
    // Upper bound on one curl_multi_poll sleep; bounds how late a timer fires
    // after a FakeClock jump without Wakeup().
    absl::Duration max_poll_wait = absl::Seconds(1);
    // CURLMOPT_MAX_HOST_CONNECTIONS; 0 = unlimited (excess requests queue
    // inside curl when set).
    int64_t max_host_connections = 0;
    // CURLMOPT_MAX_TOTAL_CONNECTIONS; 0 = unlimited.
    int64_t max_total_connections = 0;
    // CURLMOPT_MAXCONNECTS: idle connections kept for reuse.
    int64_t connection_cache_size = 64;
    // Idle easy handles kept for reuse.
    size_t max_pooled_handles = 64;
  };

  // Monotonic counters plus one gauge, for /metrics.
  struct Stats {
    int64_t requests_started = 0;    // Send() calls
    int64_t requests_completed = 0;  // finished with an HTTP response
    int64_t requests_failed = 0;     // finished with a non-OK status (incl.
                                     // rejected or cancelled before curl)
    int64_t active_transfers = 0;    // currently inside curl
    int64_t timers_fired = 0;
  };

  // Starts the loop thread. Aborts the process if curl cannot create a multi
  // handle (nothing useful can run without it).
  CurlMultiClient() : CurlMultiClient(Options()) {}
  explicit CurlMultiClient(Options options);
  ~CurlMultiClient() override;

  CurlMultiClient(const CurlMultiClient&) = delete;
  CurlMultiClient& operator=(const CurlMultiClient&) = delete;

  // HttpClient.
  void Send(HttpRequest request, HttpCallback done) override;

  // Scheduler. Ids start at 1 and are never reused.
  TimerId RunAt(absl::Time when, std::function<void()> fn) override;
  void Cancel(TimerId id) override;
  absl::Time Now() const override;

  // Makes the loop re-check its timers and queues now.
  void Wakeup();

  // Idempotent; see "Lifetime" above.
  void Shutdown();

  Stats GetStats() const;

 private:
  using Transfer = internal::CurlTransfer;
  struct TimerEntry {
    absl::Time when;
    TimerId id;
    // Min-heap on (when, id).
    bool operator<(const TimerEntry& o) const {
      return when != o.when ? when > o.when : id > o.id;
    }
  };

  void Loop();
  // Moves queued requests into curl. Returns false once a stop is requested.
  bool StartQueuedRequests();
  void StartTransfer(std::unique_ptr<Transfer> transfer);
  void DrainCompletions();
  void RunDueTimers();
  // Milliseconds until the next timer, capped by max_poll_wait.
  int PollTimeoutMs();
  void FailEverything();
  void Finish(std::unique_ptr<Transfer> transfer,
              absl::StatusOr<HttpResponse> result);
  CURL* AcquireEasy();
  void ReleaseEasy(CURL* easy);

  const Options options_;
  std::unique_ptr<Clock> owned_clock_;
  const Clock* clock_;

  // Loop-thread state (no lock: only the loop thread touches it after the
  // constructor).
  CURLM* multi_ = nullptr;
  std::vector<CURL*> idle_easy_;
  absl::flat_hash_map<CURL*, std::unique_ptr<Transfer>> active_;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Transfer>> queued_ ABSL_GUARDED_BY(mu_);
  // Lazy deletion: a heap entry whose id is no longer in timer_fns_ was
  // cancelled and is skipped when it reaches the top.
  std::priority_queue<TimerEntry> timer_heap_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<TimerId, std::function<void()>> timer_fns_
      ABSL_GUARDED_BY(mu_);
  TimerId next_timer_id_ ABSL_GUARDED_BY(mu_) = 1;

  std::atomic<int64_t> requests_started_{0};
  std::atomic<int64_t> requests_completed_{0};
  std::atomic<int64_t> requests_failed_{0};
  std::atomic<int64_t> active_transfers_{0};
  std::atomic<int64_t> timers_fired_{0};

  absl::Mutex join_mu_;  // serializes Shutdown callers around the join
  std::thread thread_;
  std::thread::id loop_thread_id_;
};

}  // namespace mediagw::net

#endif  // MEDIAGW_NET_CURL_MULTI_CLIENT_H_
