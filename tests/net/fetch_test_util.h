// Helpers for the fetcher and connect-filter tests: a synchronous wrapper
// around HttpClient::Send and a canary listener that notices any connection.
#ifndef MEDIAGW_TESTS_NET_FETCH_TEST_UTIL_H_
#define MEDIAGW_TESTS_NET_FETCH_TEST_UTIL_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/http_client.h"

namespace mediagw::net::testing {

// Longer than any request timeout the tests use: reaching it is a hang.
inline constexpr absl::Duration kTestWait = absl::Seconds(20);

// Shared with the callback, so a timed-out wait cannot leave the callback
// writing into a dead stack frame.
struct Outcome {
  absl::Notification done;
  absl::StatusOr<HttpResponse> result = absl::UnknownError("not run");
};

inline absl::StatusOr<HttpResponse> SendSync(HttpClient& client,
                                             HttpRequest request) {
  auto outcome = std::make_shared<Outcome>();
  client.Send(std::move(request), [outcome](absl::StatusOr<HttpResponse> r) {
    outcome->result = std::move(r);
    outcome->done.Notify();
  });
  if (!outcome->done.WaitForNotificationWithTimeout(kTestWait)) {
    return absl::DeadlineExceededError("test wait timed out");
  }
  return outcome->result;
}

// A request with timeouts short enough that a wrongly allowed connection
// to an unroutable address fails the test quickly instead of hanging it.
inline HttpRequest ShortGet(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  r.connect_timeout = absl::Seconds(2);
  r.timeout = absl::Seconds(3);
  return r;
}

// Listens on 127.0.0.1:<ephemeral> and, when free, on [::1] with the same
// port. Nothing accepts: a connection attempt completes its handshake in
// the kernel backlog, and Connections() drains and counts the backlog, so
// the count does not depend on thread timing.
class CanaryListener {
 public:
  CanaryListener() {
    fd4_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a4{};
    a4.sin_family = AF_INET;
    a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd4_ < 0 || bind(fd4_, reinterpret_cast<sockaddr*>(&a4),
                         sizeof(a4)) != 0 ||
        listen(fd4_, 128) != 0) {
      std::abort();
    }
    socklen_t len = sizeof(a4);
    getsockname(fd4_, reinterpret_cast<sockaddr*>(&a4), &len);
    port_ = ntohs(a4.sin_port);

    fd6_ = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    sockaddr_in6 a6{};
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_loopback;
    a6.sin6_port = htons(static_cast<uint16_t>(port_));
    if (fd6_ >= 0 &&
        (setsockopt(fd6_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0 ||
         bind(fd6_, reinterpret_cast<sockaddr*>(&a6), sizeof(a6)) != 0 ||
         listen(fd6_, 128) != 0)) {
      close(fd6_);
      fd6_ = -1;
    }
  }
  ~CanaryListener() {
    close(fd4_);
    if (fd6_ >= 0) close(fd6_);
  }
  CanaryListener(const CanaryListener&) = delete;
  CanaryListener& operator=(const CanaryListener&) = delete;

  int port() const { return port_; }
  bool listens_on_v6() const { return fd6_ >= 0; }

  // Connections made since the last call.
  int Connections() {
    int n = Drain(fd4_);
    if (fd6_ >= 0) n += Drain(fd6_);
    return n;
  }

 private:
  static int Drain(int fd) {
    int n = 0;
    for (int c; (c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
      close(c);
      ++n;
    }
    return n;
  }

  int fd4_ = -1;
  int fd6_ = -1;
  int port_ = 0;
};

}  // namespace mediagw::net::testing

#endif  // MEDIAGW_TESTS_NET_FETCH_TEST_UTIL_H_
