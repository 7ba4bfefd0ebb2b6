#include "tests/fakes/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mediagw::fakes {
namespace {

constexpr size_t kMaxHead = 64 << 10;
constexpr int kPollMs = 50;

// Waits until `fd` is readable; false when `stopping` or on error.
bool WaitReadable(int fd, const std::atomic<bool>& stopping) {
  while (!stopping.load()) {
    pollfd p{fd, POLLIN, 0};
    const int n = poll(&p, 1, kPollMs);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
  return false;
}

// Appends what is there to `buf`; false on EOF, error or stop.
bool ReadSome(int fd, std::string* buf, const std::atomic<bool>& stopping) {
  if (!WaitReadable(fd, stopping)) return false;
  char tmp[16384];
  const ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
  if (n <= 0) return false;
  buf->append(tmp, static_cast<size_t>(n));
  return true;
}

bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Takes a head ("...\r\n\r\n") off the front of `buf`, reading as needed.
bool ReadHead(int fd, std::string* buf, std::string* head,
              const std::atomic<bool>& stopping) {
  while (true) {
    const size_t end = buf->find("\r\n\r\n");
    if (end != std::string::npos) {
      *head = buf->substr(0, end + 4);
      buf->erase(0, end + 4);
      return true;
    }
    if (buf->size() > kMaxHead || !ReadSome(fd, buf, stopping)) return false;
  }
}

bool ReadExactly(int fd, std::string* buf, size_t n, std::string* out,
                 const std::atomic<bool>& stopping) {
  while (buf->size() < n) {
    if (!ReadSome(fd, buf, stopping)) return false;
  }
  *out = buf->substr(0, n);
  buf->erase(0, n);
  return true;
}

// The value of header `name` in `head` (case-insensitive), or "".
std::string HeaderOf(absl::string_view head, absl::string_view name) {
  for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(line.substr(0, colon)),
                               name)) {
      return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  return "";
}

int StatusOf(absl::string_view head) {
  std::vector<absl::string_view> parts = absl::StrSplit(head, ' ');
  int status = 0;
  if (parts.size() >= 2) (void)absl::SimpleAtoi(parts[1], &status);
  return status;
}

void Reset(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

int ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

struct FaultProxy::Conn {
  int client = -1;
  int upstream = -1;
  std::atomic<bool> done{false};
  // Unblocks the connection's thread; its fds are closed by that thread.
  void Shut() {
    if (client >= 0) shutdown(client, SHUT_RDWR);
    if (upstream >= 0) shutdown(upstream, SHUT_RDWR);
  }
};

FaultProxy::FaultProxy(int upstream_port) : upstream_port_(upstream_port) {}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  std::vector<std::thread> threads;
  {
    absl::MutexLock l(&mu_);
    for (auto& c : conns_) c->Shut();
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

absl::Status FaultProxy::Start() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return absl::InternalError("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      listen(listen_fd_, 512) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return absl::InternalError("bind/listen failed");
  }
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

std::string FaultProxy::url() const {
  return absl::StrCat("http://127.0.0.1:", port_);
}

void FaultProxy::SetFault(ProxyFault fault) {
  absl::MutexLock l(&mu_);
  fault_ = std::move(fault);
}

std::vector<std::string> FaultProxy::RequestLines() const {
  absl::MutexLock l(&mu_);
  return lines_;
}

int64_t FaultProxy::CountRequests(const std::string& needle) const {
  absl::MutexLock l(&mu_);
  return std::count_if(lines_.begin(), lines_.end(), [&](const std::string& s) {
    return absl::StrContains(s, needle);
  });
}

ProxyFault FaultProxy::Take(const std::string& request_line, bool on_accept) {
  absl::MutexLock l(&mu_);
  ProxyFault none;
  ProxyFault& f = fault_;
  if (f.kind == ProxyFault::Kind::kNone || f.requests == 0 ||
      absl::Now() >= f.until) {
    return none;
  }
  const bool accept_fault =
      f.kind == ProxyFault::Kind::kReset && f.reset_after_bytes < 0;
  if (accept_fault != on_accept) return none;
  if (!on_accept && !f.match.empty() &&
      !absl::StrContains(request_line, f.match)) {
    return none;
  }
  if (f.requests > 0) --f.requests;
  faulted_.fetch_add(1);
  return f;
}

void FaultProxy::AcceptLoop() {
  while (!stopping_.load()) {
    if (!WaitReadable(listen_fd_, stopping_)) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    connections_.fetch_add(1);
    if (Take("", /*on_accept=*/true).kind == ProxyFault::Kind::kReset) {
      Reset(fd);
      close(fd);
      continue;
    }
    auto conn = std::make_shared<Conn>();
    conn->client = fd;
    absl::MutexLock l(&mu_);
    // Forget finished connections so a long test does not pile them up.
    conns_.erase(std::remove_if(conns_.begin(), conns_.end(),
                                [](const std::shared_ptr<Conn>& c) {
                                  return c->done.load();
                                }),
                 conns_.end());
    conns_.push_back(conn);
    threads_.emplace_back([this, conn] { Serve(conn); });
  }
}

void FaultProxy::Serve(std::shared_ptr<Conn> conn) {
  std::string cbuf, ubuf;
  bool reset = false;
  while (!stopping_.load()) {
    std::string head, body;
    if (!ReadHead(conn->client, &cbuf, &head, stopping_)) break;
    size_t length = 0;
    if (std::string cl = HeaderOf(head, "content-length"); !cl.empty()) {
      if (!absl::SimpleAtoi(cl, &length)) break;
    }
    if (!ReadExactly(conn->client, &cbuf, length, &body, stopping_)) break;
    const std::string line = head.substr(0, head.find("\r\n"));
    requests_.fetch_add(1);
    {
      absl::MutexLock l(&mu_);
      lines_.push_back(line);
    }
    const ProxyFault f = Take(line, /*on_accept=*/false);
    if (f.kind == ProxyFault::Kind::k503) {
      const std::string msg = "{\"error\":\"injected 503\"}";
      std::string resp = absl::StrCat(
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
          "application/json\r\nContent-Length: ",
          msg.size(), "\r\n");
      if (f.retry_after_seconds >= 0) {
        absl::StrAppend(&resp, "Retry-After: ", f.retry_after_seconds, "\r\n");
      }
      absl::StrAppend(&resp, "\r\n", msg);
      if (!WriteAll(conn->client, resp)) break;
      continue;
    }
    if (f.kind == ProxyFault::Kind::kBlackhole) {
      // Hold the connection open, reading and dropping, until either side
      // gives up.
      std::string sink;
      while (ReadSome(conn->client, &sink, stopping_)) sink.clear();
      break;
    }
    if (conn->upstream < 0) {
      conn->upstream = ConnectLoopback(upstream_port_);
      if (conn->upstream < 0) {
        reset = true;
        break;
      }
    }
    if (!WriteAll(conn->upstream, head + body)) break;
    forwarded_.fetch_add(1);
    if (absl::EqualsIgnoreCase(HeaderOf(head, "upgrade"), "websocket")) {
      // From here on a byte pipe in both directions.
      if (!cbuf.empty() && !WriteAll(conn->upstream, cbuf)) break;
      pollfd p[2] = {{conn->client, POLLIN, 0}, {conn->upstream, POLLIN, 0}};
      char tmp[16384];
      while (!stopping_.load()) {
        if (poll(p, 2, kPollMs) < 0 && errno != EINTR) break;
        bool ok = true;
        for (int i = 0; i < 2 && ok; ++i) {
          if (p[i].revents == 0) continue;
          const ssize_t n = recv(p[i].fd, tmp, sizeof(tmp), 0);
          ok = n > 0 && WriteAll(p[1 - i].fd, absl::string_view(
                                                  tmp, static_cast<size_t>(n)));
        }
        if (!ok) break;
      }
      break;
    }
    // The response, whole: 1xx heads first, then the final head and body.
    std::string resp, rhead;
    bool until_close = false;
    bool ok = true;
    while ((ok = ReadHead(conn->upstream, &ubuf, &rhead, stopping_))) {
      resp += rhead;
      if (StatusOf(rhead) >= 200) break;
    }
    if (!ok) break;
    std::string rbody;
    if (std::string cl = HeaderOf(rhead, "content-length"); !cl.empty()) {
      size_t n = 0;
      if (!absl::SimpleAtoi(cl, &n) ||
          !ReadExactly(conn->upstream, &ubuf, n, &rbody, stopping_)) {
        break;
      }
    } else if (absl::StrContains(
                   absl::AsciiStrToLower(HeaderOf(rhead, "transfer-encoding")),
                   "chunked")) {
      while (!absl::StrContains(ubuf, "0\r\n\r\n")) {
        if (!ReadSome(conn->upstream, &ubuf, stopping_)) break;
      }
      const size_t end = ubuf.find("0\r\n\r\n");
      if (end == std::string::npos) break;
      rbody = ubuf.substr(0, end + 5);
      ubuf.erase(0, end + 5);
    } else if (StatusOf(rhead) != 204 && StatusOf(rhead) != 304) {
      until_close = true;
      while (ReadSome(conn->upstream, &ubuf, stopping_)) {
      }
      rbody.swap(ubuf);
    }
    resp += rbody;
    switch (f.kind) {
      case ProxyFault::Kind::kReset: {
        const size_t n = std::min(resp.size(),
                                  static_cast<size_t>(f.reset_after_bytes));
        WriteAll(conn->client, absl::string_view(resp).substr(0, n));
        reset = true;
        break;
      }
      case ProxyFault::Kind::kCutBody:
        WriteAll(conn->client, absl::string_view(resp).substr(
                                   0, std::min(resp.size(), f.cut_after_bytes)));
        until_close = true;
        break;
      case ProxyFault::Kind::kSlowDrip: {
        absl::string_view rest(resp);
        const size_t step = std::max<size_t>(1, f.drip_bytes);
        while (!rest.empty() && ok && !stopping_.load()) {
          const size_t n = std::min(step, rest.size());
          ok = WriteAll(conn->client, rest.substr(0, n));
          rest.remove_prefix(n);
          if (!rest.empty()) absl::SleepFor(f.drip_pause);
        }
        break;
      }
      default:
        ok = WriteAll(conn->client, resp);
        break;
    }
    if (reset || until_close || !ok ||
        absl::EqualsIgnoreCase(HeaderOf(rhead, "connection"), "close")) {
      break;
    }
  }
  if (reset) Reset(conn->client);
  {
    // Shut() may run concurrently from the destructor: close under the lock.
    absl::MutexLock l(&mu_);
    close(conn->client);
    if (conn->upstream >= 0) close(conn->upstream);
    conn->client = conn->upstream = -1;
    conn->done = true;
  }
}

}  // namespace mediagw::fakes
