// FaultProxy: a TCP proxy for tests, bound on 127.0.0.1:<ephemeral port>,
// in front of one HTTP/1.1 upstream (e.g. the simulator), with switchable
// faults:
//   kReset      RST on accept (reset_after_bytes < 0) or after that many
//               response bytes of a request (mid-stream)
//   kBlackhole  accept and read the request, never answer
//   kSlowDrip   forward the response `drip_bytes` at a time, pausing
//               `drip_pause` between chunks
//   kCutBody    forward `cut_after_bytes` of the response, then close
//   k503        answer `HTTP/1.1 503` itself (with Retry-After when set),
//               without calling the upstream
// A fault applies to requests whose request line contains `match` (all when
// empty), for the next `requests` of them (all when < 0) and until `until`
// (no end when InfiniteFuture). Requests it does not apply to are forwarded
// untouched. A WebSocket upgrade that is forwarded turns its connection
// into a plain byte pipe.
//
// Requests are read whole (head and Content-Length body) so that they can be
// counted and answered one by one; one upstream connection per client
// connection.
//
// Threading: one accept thread and one thread per client connection. Public
// methods are thread-safe. The destructor closes every socket and joins.
#ifndef MEDIAGW_TESTS_FAKES_FAULT_PROXY_H_
#define MEDIAGW_TESTS_FAKES_FAULT_PROXY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mediagw::fakes {

struct ProxyFault {
  enum class Kind { kNone, kReset, kBlackhole, kSlowDrip, kCutBody, k503 };
  Kind kind = Kind::kNone;
  std::string match;  // substring of the request line; empty = every request
  int64_t requests = -1;  // how many matching requests; < 0 = all
  absl::Time until = absl::InfiniteFuture();
  int64_t reset_after_bytes = -1;  // kReset: < 0 = on accept
  size_t drip_bytes = 16;          // kSlowDrip
  absl::Duration drip_pause = absl::Milliseconds(20);
  size_t cut_after_bytes = 0;            // kCutBody
  int retry_after_seconds = -1;          // k503: >= 0 adds Retry-After
};

class FaultProxy {
 public:
  // `upstream_port` on 127.0.0.1.
  explicit FaultProxy(int upstream_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  absl::Status Start();
  int port() const { return port_; }
  std::string url() const;  // http://127.0.0.1:<port>

  void SetFault(ProxyFault fault);
  void ClearFault() { SetFault(ProxyFault{}); }

  // Counters since start.
  int64_t connections() const { return connections_.load(); }
  int64_t requests() const { return requests_.load(); }  // read whole
  int64_t faulted() const { return faulted_.load(); }    // a fault applied
  int64_t forwarded() const { return forwarded_.load(); }
  // Request lines seen ("POST /prompt HTTP/1.1"), in arrival order.
  std::vector<std::string> RequestLines() const;
  // Requests whose request line contains `needle`.
  int64_t CountRequests(const std::string& needle) const;

 private:
  struct Conn;
  void AcceptLoop();
  void Serve(std::shared_ptr<Conn> conn);
  // The fault for this request line (and uses one of its count), or kNone.
  ProxyFault Take(const std::string& request_line, bool on_accept);

  const int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> faulted_{0};
  std::atomic<int64_t> forwarded_{0};

  mutable absl::Mutex mu_;
  ProxyFault fault_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Conn>> conns_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw::fakes

#endif  // MEDIAGW_TESTS_FAKES_FAULT_PROXY_H_
