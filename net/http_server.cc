#include "net/http_server.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "net/http_session.h"
#include "net/server_context.h"
#include "net/url_decode.h"

namespace mediagw::net {

namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;

absl::string_view ServerRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

std::optional<std::string> ServerRequest::QueryParam(
    absl::string_view name) const {
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const absl::string_view key = pair.substr(0, eq);
    if (PercentDecode(key, /*plus_as_space=*/true) != name) continue;
    if (eq == absl::string_view::npos) return std::string();
    return PercentDecode(pair.substr(eq + 1), /*plus_as_space=*/true);
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> ServerRequest::QueryParams()
    const {
  std::vector<std::pair<std::string, std::string>> out;
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    out.emplace_back(
        PercentDecode(pair.substr(0, eq), /*plus_as_space=*/true),
        eq == absl::string_view::npos
            ? std::string()
            : PercentDecode(pair.substr(eq + 1), /*plus_as_space=*/true));
  }
  return out;
}

namespace {

constexpr std::chrono::milliseconds kAcceptRetry(100);

// Accepts connections on its own strand; every accepted socket gets a strand
// of its own.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  explicit Listener(std::shared_ptr<ServerContext> ctx)
      : ctx_(std::move(ctx)),
        acceptor_(asio::make_strand(ctx_->ioc())),
        retry_(acceptor_.get_executor()) {}

  absl::Status Bind(const std::string& host, int port, int* bound_port) {
    boost::system::error_code ec;
    tcp::resolver resolver(ctx_->ioc());
    const auto results = resolver.resolve(
        host, std::to_string(port),
        tcp::resolver::numeric_service | tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return absl::UnavailableError(
          absl::StrCat("cannot resolve ", host, ": ", ec.message()));
    }
    const tcp::endpoint endpoint = results.begin()->endpoint();
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      return absl::UnavailableError(absl::StrCat(
          "cannot listen on ", host, ":", port, ": ", ec.message()));
    }
    *bound_port = acceptor_.local_endpoint(ec).port();
    return absl::OkStatus();
  }

  void Accept() {
    acceptor_.async_accept(
        asio::make_strand(ctx_->ioc()),
        [self = shared_from_this()](boost::system::error_code ec,
                                    tcp::socket socket) {
          self->OnAccept(ec, std::move(socket));
        });
  }

  // Thread-safe.
  void Close() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_.cancel();
    });
  }

 private:
  void OnAccept(boost::system::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open() || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Typically EMFILE: keep accepting, but after a pause, since the same
      // error would come back at once and spin the thread.
      MG_LOG(Warning, "accept failed: ", ec.message());
      retry_.expires_after(kAcceptRetry);
      retry_.async_wait(
          [self = shared_from_this()](boost::system::error_code wait_ec) {
            if (!wait_ec && self->acceptor_.is_open()) self->Accept();
          });
      return;
    }
    if (ctx_->draining()) {
      // Accepted just before the listener closed: not served.
      boost::system::error_code ignored;
      socket.close(ignored);
      return;
    }
    std::optional<ConnectionSlot> slot = ctx_->TryAdmit();
    if (!slot) {
      Refuse(socket);
      Accept();
      return;
    }
    ctx_->EvictIdleNearCap();
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<HttpSession>(ctx_, std::move(socket), std::move(*slot))
        ->Start();
    Accept();
  }

  // Over the cap: one non-blocking send of a bare 503 and close, nothing
  // read, so a flood of connections costs us no buffer and no timer. The 503
  // is best effort: if the peer's request is already in our receive buffer
  // the close turns into a reset.
  static void Refuse(tcp::socket& socket) {
    static constexpr char kBusy[] =
        "HTTP/1.1 503 Service Unavailable\r\nServer: mediagw\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n";
    boost::system::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(kBusy, sizeof(kBusy) - 1), ignored);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  const std::shared_ptr<ServerContext> ctx_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
};

// How long Stop() lets in-flight handlers drain after closing every socket
// before it stops the io_context outright.
constexpr absl::Duration kStopGrace = absl::Seconds(2);

// Counts the io threads still inside run(). Shared with the threads so that
// one detached by a Stop() from inside a handler never touches a dead Impl.
struct RunState {
  absl::Mutex mu;
  int running ABSL_GUARDED_BY(mu) = 0;
};

void RunIoThread(std::shared_ptr<ServerContext> ctx,
                 std::shared_ptr<RunState> state) {
  for (;;) {
    try {
      ctx->ioc().run();
      break;
    } catch (const std::exception& e) {
      // A throwing handler must not take the thread (or the process) down.
      MG_LOG(Error, "exception escaped an HTTP handler: ", e.what());
    }
  }
  absl::MutexLock lock(&state->mu);
  --state->running;
}

}  // namespace

struct HttpServer::Impl {
  explicit Impl(std::shared_ptr<ServerContext> c) : ctx(std::move(c)) {}

  std::shared_ptr<ServerContext> ctx;
  std::shared_ptr<RunState> run_state = std::make_shared<RunState>();
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;

  absl::Mutex mu;
  // Held while draining: a request whose handler answers later has no
  // operation pending on its socket, so without it the io threads could run
  // out of work and return before that answer is written.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
      drain_guard ABSL_GUARDED_BY(mu);
  bool started ABSL_GUARDED_BY(mu) = false;
  bool stopped ABSL_GUARDED_BY(mu) = false;
  int port ABSL_GUARDED_BY(mu) = 0;
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::make_shared<ServerContext>(
          std::move(options), std::move(handler)))) {}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start() {
  const HttpServerOptions& options = impl_->ctx->options();
  {
    absl::MutexLock lock(&impl_->mu);
    if (impl_->started || impl_->stopped) {
      return absl::FailedPreconditionError("server already started");
    }
    impl_->started = true;
  }
  auto listener = std::make_shared<Listener>(impl_->ctx);
  int bound = 0;
  absl::Status status = listener->Bind(options.host, options.port, &bound);
  if (!status.ok()) {
    absl::MutexLock lock(&impl_->mu);
    impl_->started = false;
    return status;
  }
  listener->Accept();
  impl_->listener = listener;
  const int threads = options.threads > 0 ? options.threads : 1;
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->port = bound;
  }
  {
    absl::MutexLock lock(&impl_->run_state->mu);
    impl_->run_state->running = threads;
  }
  for (int i = 0; i < threads; ++i) {
    impl_->threads.emplace_back(RunIoThread, impl_->ctx, impl_->run_state);
  }
  return absl::OkStatus();
}

int HttpServer::port() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->port;
}

size_t HttpServer::open_connections() const {
  return impl_->ctx->open_connections();
}

void HttpServer::Drain(absl::Duration grace) {
  {
    absl::MutexLock lock(&impl_->mu);
    if (impl_->stopped || !impl_->started) return;
    impl_->drain_guard.emplace(asio::make_work_guard(impl_->ctx->ioc()));
  }
  std::vector<std::shared_ptr<Connection>> live = impl_->ctx->BeginDrain();
  impl_->listener->Close();
  for (const auto& conn : live) conn->Drain();
  live.clear();
  // Connections close on any server thread; a short poll of the counter is
  // simpler than a signal from each and costs nothing next to the grace.
  const absl::Time deadline = absl::Now() + grace;
  while (open_connections() > 0) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    absl::SleepFor(std::min(left, absl::Milliseconds(10)));
  }
  if (open_connections() > 0) {
    MG_LOG(Warning, "HTTP drain: ", open_connections(),
           " connections still open after the grace period are cut");
  }
  Stop();
}

void HttpServer::Stop() {
  {
    absl::MutexLock lock(&impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
    if (!impl_->started) return;
  }
  std::vector<std::shared_ptr<Connection>> live = impl_->ctx->BeginStop();
  impl_->listener->Close();
  for (const auto& conn : live) conn->Shutdown();
  live.clear();
  {
    // Only now, with the closes posted, may the threads run out of work.
    absl::MutexLock lock(&impl_->mu);
    impl_->drain_guard.reset();
  }
  // With the listener and every socket closed the io_context runs out of work
  // and the threads return by themselves; the grace period only matters if a
  // handler is slow.
  {
    RunState& state = *impl_->run_state;
    absl::MutexLock lock(&state.mu);
    state.mu.AwaitWithTimeout(
        absl::Condition(
            +[](int* running) { return *running == 0; }, &state.running),
        kStopGrace);
  }
  impl_->ctx->ioc().stop();
  for (auto& t : impl_->threads) {
    if (t.get_id() == std::this_thread::get_id()) {
      // Stop() from inside a handler: this thread cannot join itself; it
      // leaves run() as soon as the handler returns.
      MG_LOG(Error, "HttpServer::Stop called from a server thread");
      t.detach();
    } else {
      t.join();
    }
  }
  impl_->threads.clear();
}

}  // namespace mediagw::net
