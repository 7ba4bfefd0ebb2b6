// Asynchronous HTTP client and loop timers. The production implementation is
// net/CurlMultiClient: one thread owns the CURLM handle and runs every
// completion callback and timer; other threads only enqueue.
#ifndef MEDIAGW_CORE_HTTP_CLIENT_H_
#define MEDIAGW_CORE_HTTP_CLIENT_H_

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mediagw {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  std::string body;
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(60);  // whole transfer
  // Abort when fewer than low_speed_bytes/s flow for low_speed_time.
  int64_t low_speed_bytes = 1;
  absl::Duration low_speed_time = absl::Seconds(30);
  int64_t max_response_bytes = 256 << 20;

  // Redirects followed (each hop is a new request subject to the checks
  // below); 0 = a 3xx is returned as the response.
  int max_redirects = 0;
  // Only http:// and https:// (also for redirect targets).
  bool http_only = false;
  // Called on the loop thread for every address about to be connected to,
  // after DNS resolution and on every redirect hop; false refuses the
  // connection (the request fails PERMISSION_DENIED). Unset = no check.
  std::function<bool(const struct sockaddr* addr, size_t len)> connect_filter;
  // Where to connect instead, as curl's CURLOPT_CONNECT_TO entries
  // "host:port:connect-host:connect-port" (e.g. pinning a name to an
  // address): for this request only, DNS is not asked for the name, and
  // connect_filter still judges the address actually connected to.
  std::vector<std::string> connect_to;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names lower-cased
  std::string body;

  // First header named `name` (case-insensitive), or "".
  absl::string_view Header(absl::string_view name) const;
};

using HttpCallback = std::function<void(absl::StatusOr<HttpResponse>)>;

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Thread-safe. `done` runs exactly once, on the client's loop thread; it
  // must be short and must not block. A response with any HTTP status
  // (including 4xx/5xx) is OK; transport failures are UNAVAILABLE (connect
  // refused, reset, malformed response), DEADLINE_EXCEEDED (timeout or low
  // speed), RESOURCE_EXHAUSTED (body over max_response_bytes), CANCELLED
  // (client shutting down).
  virtual void Send(HttpRequest request, HttpCallback done) = 0;
};

// One-shot timers on a loop thread (the curl loop in production: a deadline
// heap, not a thread per timer).
class Scheduler {
 public:
  using TimerId = uint64_t;
  virtual ~Scheduler() = default;
  // Thread-safe. `fn` runs once on the loop thread at or after `when`; it must
  // be short and must not block.
  virtual TimerId RunAt(absl::Time when, std::function<void()> fn) = 0;
  // Thread-safe. A timer not yet fired will not fire. Unknown ids are ignored.
  virtual void Cancel(TimerId id) = 0;
  virtual absl::Time Now() const = 0;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_HTTP_CLIENT_H_
