// Internal to net/: state shared by the HttpServer, its listener and every
// connection. Not part of the public API.
//
// Ownership: the context owns the io_context. Connections and response
// writers hold the context by shared_ptr, so the io_context (and the socket
// services behind every socket) outlives every object that holds a socket or
// a strand, even a writer the application keeps after the server is gone.
#ifndef MEDIAGW_NET_SERVER_CONTEXT_H_
#define MEDIAGW_NET_SERVER_CONTEXT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "net/http_server.h"

namespace mediagw::net {

// Outgoing bytes a streaming response or websocket may have queued before
// the peer is deemed too slow and the connection is closed.
inline constexpr size_t kMaxQueuedBytes = 16 << 20;
// Bytes a connection reads from its socket at a time.
inline constexpr size_t kReadChunk = 16 << 10;

// A live connection (HTTP or websocket) that Stop() must be able to close.
class Connection {
 public:
  virtual ~Connection() = default;
  // Thread-safe. Closes the socket at once (posted onto the connection's
  // strand); pending operations complete with errors and release the
  // connection.
  virtual void Shutdown() = 0;
  // Thread-safe. Like Shutdown, but only if the connection is still idle
  // between requests once the close runs on its strand (a request may have
  // arrived since it was marked idle).
  virtual void CloseIfIdle() { Shutdown(); }
  // Thread-safe. The server is draining: close now if nothing is in flight
  // (idle between requests, or no byte of a first request yet), else once
  // the exchange in flight is answered. Connections that cannot tell (a
  // websocket) close at once.
  virtual void Drain() { Shutdown(); }
};

class ServerContext;

// One admitted connection, counted against max_connections until it is
// destroyed or released. Moves with the socket (e.g. to a websocket). Must
// not outlive its context: whoever holds it holds the context too.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  explicit ConnectionSlot(ServerContext* ctx) : ctx_(ctx) {}
  ConnectionSlot(ConnectionSlot&& other) noexcept
      : ctx_(std::exchange(other.ctx_, nullptr)) {}
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
    if (this != &other) {
      Release();
      ctx_ = std::exchange(other.ctx_, nullptr);
    }
    return *this;
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { Release(); }
  void Release();

 private:
  ServerContext* ctx_ = nullptr;
};

// Runs a list of callbacks exactly once: when a response is finished or its
// connection goes away. Thread-safe; callbacks run on the thread that calls
// Fire() (or Add() once fired), never under the internal lock.
class CloseNotifier {
 public:
  void Add(std::function<void()> fn);
  void Fire();
  bool fired() const;

 private:
  mutable absl::Mutex mu_;
  bool fired_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::function<void()>> fns_ ABSL_GUARDED_BY(mu_);
};

class ServerContext {
 public:
  ServerContext(HttpServerOptions options, HttpHandler handler);
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  const HttpServerOptions& options() const { return options_; }
  const HttpHandler& handler() const { return handler_; }
  boost::asio::io_context& ioc() { return ioc_; }

  // Counts a new connection against max_connections; nullopt when the cap
  // is reached (the caller refuses the connection). Thread-safe.
  std::optional<ConnectionSlot> TryAdmit();
  size_t open_connections() const { return open_.load(); }
  // From 90% of max_connections on, closes (CloseIfIdle) up to a small batch
  // of the connections idle longest, enough to get back under that mark.
  // Call after TryAdmit. Thread-safe; never calls out under the lock.
  void EvictIdleNearCap();

  // Adds a live connection. False once the server is stopping: the caller
  // must then close its socket itself.
  bool Register(std::weak_ptr<Connection> conn, uint64_t* id);
  // Removes a connection (closed or handed over). Unknown ids are ignored.
  void Unregister(uint64_t id);
  // Marks a registered connection idle between keep-alive requests (first
  // to be evicted near the cap, oldest first) or busy again.
  void SetIdle(uint64_t id, bool idle);
  // Marks the server stopping and returns every live connection.
  std::vector<std::shared_ptr<Connection>> BeginStop();
  bool stopping() const;
  // Marks the server draining (new connections are closed unanswered, no
  // answer keeps its connection alive) and returns every live connection,
  // which stay registered so that Stop() can still close them.
  std::vector<std::shared_ptr<Connection>> BeginDrain();
  // True once draining or stopping.
  bool draining() const;

  // Posts `fn` onto `ex` unless the server is stopping (the io_context may no
  // longer run). Returns false when refused; `fn` is then destroyed by the
  // caller, outside the lock.
  template <typename Fn>
  bool Post(const boost::asio::any_io_executor& ex, Fn&& fn) {
    absl::MutexLock lock(&mu_);
    if (stopping_) return false;
    boost::asio::post(ex, std::forward<Fn>(fn));
    return true;
  }

 private:
  const HttpServerOptions options_;
  const HttpHandler handler_;
  boost::asio::io_context ioc_;

  mutable absl::Mutex mu_;
  friend class ConnectionSlot;
  void ReleaseSlot() { open_.fetch_sub(1); }

  struct Live {
    std::weak_ptr<Connection> conn;
    uint64_t idle_seq = 0;  // key in idle_, 0 while busy
  };

  std::atomic<size_t> open_{0};

  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_idle_seq_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, Live> live_ ABSL_GUARDED_BY(mu_);
  // Idle connections by the order they became idle: idle_seq -> id.
  std::map<uint64_t, uint64_t> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw::net

#endif  // MEDIAGW_NET_SERVER_CONTEXT_H_
