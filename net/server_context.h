// Internal to net/: state shared by the HttpServer, its listener and every
// connection. Not part of the public API.
//
// Ownership: the context owns the io_context. Connections and response
// writers hold the context by shared_ptr, so the io_context (and the socket
// services behind every socket) outlives every object that holds a socket or
// a strand, even a writer the application keeps after the server is gone.
#ifndef MEDIAGW_NET_SERVER_CONTEXT_H_
#define MEDIAGW_NET_SERVER_CONTEXT_H_

#include <cstdint>
#include <functional>
#include <memory>
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

// A live connection (HTTP or websocket) that Stop() must be able to close.
class Connection {
 public:
  virtual ~Connection() = default;
  // Thread-safe. Closes the socket at once (posted onto the connection's
  // strand); pending operations complete with errors and release the
  // connection.
  virtual void Shutdown() = 0;
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

  // Adds a live connection. False once the server is stopping: the caller
  // must then close its socket itself.
  bool Register(std::weak_ptr<Connection> conn, uint64_t* id);
  // Removes a connection (closed or handed over). Unknown ids are ignored.
  void Unregister(uint64_t id);
  // Marks the server stopping and returns every live connection.
  std::vector<std::shared_ptr<Connection>> BeginStop();
  bool stopping() const;

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
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, std::weak_ptr<Connection>> live_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw::net

#endif  // MEDIAGW_NET_SERVER_CONTEXT_H_
