#include "tests/fakes/fake_upstream.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <thread>
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace mediagw::fakes {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

absl::string_view RecordedRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return absl::string_view();
}

ScriptedReply ScriptedReply::Respond(int status, std::string body,
                                     HttpHeaders headers) {
  ScriptedReply r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

ScriptedReply ScriptedReply::Close() {
  ScriptedReply r;
  r.kind = Kind::kClose;
  return r;
}

ScriptedReply ScriptedReply::Reset() {
  ScriptedReply r;
  r.kind = Kind::kReset;
  return r;
}

ScriptedReply ScriptedReply::Raw(std::string bytes) {
  ScriptedReply r;
  r.kind = Kind::kRaw;
  r.raw = std::move(bytes);
  return r;
}

class FakeUpstream::Impl {
 public:
  Impl() : acceptor_(io_) {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    beast::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      std::fprintf(stderr, "FakeUpstream: bind failed: %s\n",
                   ec.message().c_str());
      std::abort();
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    io_.stop();
    thread_.join();
  }

  int port() const { return port_; }

  void Enqueue(ScriptedReply reply) {
    absl::MutexLock l(&mu_);
    script_.push_back(std::move(reply));
  }
  void SetHandler(Handler handler) {
    absl::MutexLock l(&mu_);
    handler_ = std::move(handler);
  }
  void SetDefault(ScriptedReply reply) {
    absl::MutexLock l(&mu_);
    default_ = std::move(reply);
  }
  std::vector<RecordedRequest> Requests() const {
    absl::MutexLock l(&mu_);
    return requests_;
  }
  int AcceptedConnections() const {
    absl::MutexLock l(&mu_);
    return connections_;
  }
  bool WaitForRequests(int n, absl::Duration timeout) const {
    absl::MutexLock l(&mu_);
    auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return static_cast<int>(requests_.size()) >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

  // Records `request` and chooses its reply. Server thread only.
  ScriptedReply Record(RecordedRequest request) {
    Handler handler;
    {
      absl::MutexLock l(&mu_);
      requests_.push_back(request);
      if (!script_.empty()) {
        ScriptedReply r = std::move(script_.front());
        script_.pop_front();
        return r;
      }
      if (!handler_) return default_;
      handler = handler_;
    }
    return handler(request);
  }

 private:
  class Session;

  void Accept();

  asio::io_context io_;  // first member: destroyed last, after the sockets
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::thread thread_;

  mutable absl::Mutex mu_;
  std::deque<ScriptedReply> script_ ABSL_GUARDED_BY(mu_);
  Handler handler_ ABSL_GUARDED_BY(mu_);
  ScriptedReply default_ ABSL_GUARDED_BY(mu_) =
      ScriptedReply::Respond(200, "ok");
  std::vector<RecordedRequest> requests_ ABSL_GUARDED_BY(mu_);
  int connections_ ABSL_GUARDED_BY(mu_) = 0;
};

// One accepted connection. Lives as long as an asio operation holds it.
class FakeUpstream::Impl::Session
    : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl* owner, tcp::socket socket, int id)
      : owner_(owner),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        id_(id) {}

  void ReadNext() {
    parser_.emplace();
    parser_->body_limit(64 << 20);
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec,
                                                 size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) return CloseNow();
    const auto& req = parser_->get();
    RecordedRequest rec;
    rec.method = std::string(req.method_string());
    rec.target = std::string(req.target());
    for (const auto& field : req) {
      std::string name(field.name_string());
      absl::AsciiStrToLower(&name);
      rec.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    rec.body = req.body();
    rec.connection = id_;
    keep_alive_ = req.keep_alive();
    reply_ = owner_->Record(std::move(rec));
    if (reply_.delay > absl::ZeroDuration()) {
      timer_.expires_after(absl::ToChronoMilliseconds(reply_.delay));
      timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->Reply();
      });
    } else {
      Reply();
    }
  }

  void Reply() {
    switch (reply_.kind) {
      case ScriptedReply::Kind::kClose:
        return CloseNow();
      case ScriptedReply::Kind::kReset: {
        beast::error_code ignored;
        socket_.set_option(asio::socket_base::linger(true, 0), ignored);
        socket_.close(ignored);
        return;
      }
      case ScriptedReply::Kind::kRaw:
        asio::async_write(
            socket_, asio::buffer(reply_.raw),
            [self = shared_from_this()](beast::error_code, size_t) {
              self->CloseNow();
            });
        return;
      case ScriptedReply::Kind::kRespond:
        break;
    }
    closing_ = reply_.close_after || !keep_alive_;
    head_ = absl::StrCat(
        "HTTP/1.1 ", reply_.status, " ",
        std::string(http::obsolete_reason(http::int_to_status(reply_.status))),
        "\r\n");
    bool has_length = false;
    for (const auto& [name, value] : reply_.headers) {
      if (absl::EqualsIgnoreCase(name, "content-length") ||
          absl::EqualsIgnoreCase(name, "transfer-encoding")) {
        has_length = true;
      }
      absl::StrAppend(&head_, name, ": ", value, "\r\n");
    }
    if (!has_length) {
      absl::StrAppend(&head_, "Content-Length: ", reply_.body.size(), "\r\n");
    }
    if (closing_) absl::StrAppend(&head_, "Connection: close\r\n");
    absl::StrAppend(&head_, "\r\n");
    body_end_ = reply_.body.size();
    if (reply_.truncate_body_at >= 0) {
      body_end_ = std::min<size_t>(body_end_, reply_.truncate_body_at);
      if (body_end_ < reply_.body.size()) closing_ = true;
    }
    body_sent_ = 0;
    asio::async_write(socket_, asio::buffer(head_),
                      [self = shared_from_this()](beast::error_code ec,
                                                  size_t) {
                        if (ec) return self->CloseNow();
                        self->WriteBody();
                      });
  }

  void WriteBody() {
    size_t left = body_end_ - body_sent_;
    if (left == 0) return Done();
    size_t chunk = reply_.trickle_bytes > 0
                       ? std::min(left, reply_.trickle_bytes)
                       : left;
    asio::async_write(
        socket_, asio::buffer(reply_.body.data() + body_sent_, chunk),
        [self = shared_from_this(), chunk](beast::error_code ec, size_t) {
          if (ec) return self->CloseNow();
          self->body_sent_ += chunk;
          if (self->reply_.trickle_bytes > 0 &&
              self->body_sent_ < self->body_end_) {
            self->timer_.expires_after(
                absl::ToChronoMilliseconds(self->reply_.trickle_pause));
            self->timer_.async_wait([self](beast::error_code ec) {
              if (!ec) self->WriteBody();
            });
            return;
          }
          self->WriteBody();
        });
  }

  void Done() {
    if (closing_) return CloseNow();
    ReadNext();
  }

  void CloseNow() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  Impl* owner_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  const int id_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
  bool closing_ = false;
  ScriptedReply reply_;
  std::string head_;
  size_t body_end_ = 0;
  size_t body_sent_ = 0;
};

void FakeUpstream::Impl::Accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;  // acceptor closed
    int id;
    {
      absl::MutexLock l(&mu_);
      id = ++connections_;
    }
    std::make_shared<Session>(this, std::move(socket), id)->ReadNext();
    Accept();
  });
}

FakeUpstream::FakeUpstream() : impl_(std::make_unique<Impl>()) {}
FakeUpstream::~FakeUpstream() = default;

int FakeUpstream::port() const { return impl_->port(); }

std::string FakeUpstream::Url(absl::string_view target) const {
  return absl::StrCat("http://127.0.0.1:", impl_->port(), target);
}

void FakeUpstream::Enqueue(ScriptedReply reply) {
  impl_->Enqueue(std::move(reply));
}
void FakeUpstream::SetHandler(Handler handler) {
  impl_->SetHandler(std::move(handler));
}
void FakeUpstream::SetDefault(ScriptedReply reply) {
  impl_->SetDefault(std::move(reply));
}
std::vector<RecordedRequest> FakeUpstream::Requests() const {
  return impl_->Requests();
}
int FakeUpstream::RequestCount() const {
  return static_cast<int>(impl_->Requests().size());
}
int FakeUpstream::AcceptedConnections() const {
  return impl_->AcceptedConnections();
}
bool FakeUpstream::WaitForRequests(int n, absl::Duration timeout) const {
  return impl_->WaitForRequests(n, timeout);
}

}  // namespace mediagw::fakes
