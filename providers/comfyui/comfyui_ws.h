// Websocket transport for ComfyUI progress events: one client connection per
// server to GET {base}/ws?clientId=<client_id>, kept open with keep-alive
// pings and reconnected with exponential backoff when it drops. Transport
// only: text frames are handed over unparsed; binary frames (previews) are
// dropped.
//
// Threading: the hub owns one io_context thread, started lazily by the first
// Connect. `on_message` runs on that thread (never under a hub lock); it
// must be short and must not block. Connect and GetStats are thread-safe.
// The destructor closes every socket and joins the thread; it must not run
// on the hub's own thread (i.e. not from inside `on_message`).
#ifndef MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_WS_H_
#define MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_WS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mediagw::comfyui {

class WsHub {
 public:
  // `server` is the base URL given to Connect.
  using MessageFn =
      std::function<void(const std::string& server, absl::string_view text)>;

  struct Options {
    std::string client_id;
    absl::Duration initial_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(5);
    // Bounds resolve + connect + upgrade; a silent peer is detected by pings
    // after `idle_timeout`.
    absl::Duration handshake_timeout = absl::Seconds(10);
    absl::Duration idle_timeout = absl::Seconds(30);
    int64_t max_message_bytes = 16 << 20;
  };

  struct Stats {
    int64_t connects = 0;      // successful upgrades
    int64_t disconnects = 0;   // failed attempts and dropped connections
    int64_t text_messages = 0;
    int64_t binary_messages = 0;
  };

  WsHub(Options options, MessageFn on_message);
  // Stop()s.
  ~WsHub();
  // Closes every connection and joins the hub thread: once it returns,
  // `on_message` is never called again. Idempotent; never call it from
  // `on_message`. Later Connects fail with FAILED_PRECONDITION.
  void Stop();
  WsHub(const WsHub&) = delete;
  WsHub& operator=(const WsHub&) = delete;

  // Starts a persistent connection to `base_url` ("http://host[:port][/p]")
  // unless one exists. INVALID_ARGUMENT for URLs it cannot speak (https is
  // not supported: callers fall back to polling); FAILED_PRECONDITION after
  // shutdown began.
  absl::Status Connect(const std::string& base_url);

  Stats GetStats() const;

 private:
  class Conn;
  struct Io;  // io_context, work guard and connections; defined in the .cc

  void Count(void (*bump)(Stats&)) {
    absl::MutexLock lock(&mu_);
    bump(stats_);
  }

  const Options options_;
  const MessageFn on_message_;
  mutable absl::Mutex mu_;
  std::set<std::string> servers_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Io> io_ ABSL_GUARDED_BY(mu_);  // created by first Connect
};

}  // namespace mediagw::comfyui

#endif  // MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_WS_H_
