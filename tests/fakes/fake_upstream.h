// FakeUpstream: a scripted HTTP/1.1 server on 127.0.0.1:<ephemeral port> for
// tests of HTTP clients and providers. It records every request, counts
// accepted TCP connections, and answers each request from a script: a normal
// response (optionally delayed, trickled slowly or truncated), a close without
// reply, a TCP reset, or raw bytes (for malformed responses). Keep-alive is
// honoured unless the reply says otherwise.
//
// Threading: one internal thread runs a Boost.Asio io_context; handlers set
// with SetHandler run on it and must not block. All public methods are
// thread-safe. The destructor stops the thread and closes every connection.
#ifndef MEDIAGW_TESTS_FAKES_FAKE_UPSTREAM_H_
#define MEDIAGW_TESTS_FAKES_FAKE_UPSTREAM_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/http_client.h"  // HttpHeaders

namespace mediagw::fakes {

struct RecordedRequest {
  std::string method;
  std::string target;
  HttpHeaders headers;  // names lower-cased, arrival order
  std::string body;
  int connection = 0;   // 1-based index of the accepted connection

  // First header `name` (case-insensitive), or "".
  absl::string_view Header(absl::string_view name) const;
};

struct ScriptedReply {
  enum class Kind {
    kRespond,  // status line + headers + body
    kClose,    // close the connection without replying (FIN)
    kReset,    // abort the connection with a TCP RST
    kRaw,      // write `raw` verbatim, then close
  };
  Kind kind = Kind::kRespond;
  int status = 200;
  HttpHeaders headers;  // Content-Length is added unless present here
  std::string body;
  std::string raw;
  // Wait this long after reading the request before doing anything.
  absl::Duration delay = absl::ZeroDuration();
  // When > 0 the body goes out `trickle_bytes` at a time with
  // `trickle_pause` between chunks.
  size_t trickle_bytes = 0;
  absl::Duration trickle_pause = absl::Milliseconds(100);
  // When >= 0, close after this many body bytes although Content-Length
  // announced the full body.
  int64_t truncate_body_at = -1;
  // Send "Connection: close" and close after the reply.
  bool close_after = false;

  static ScriptedReply Respond(int status, std::string body,
                               HttpHeaders headers = {});
  static ScriptedReply Close();
  static ScriptedReply Reset();
  static ScriptedReply Raw(std::string bytes);
};

class FakeUpstream {
 public:
  // Runs on the server thread for requests the queue does not cover.
  using Handler = std::function<ScriptedReply(const RecordedRequest&)>;

  // Binds 127.0.0.1:0 and starts serving; aborts if the bind fails.
  FakeUpstream();
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  int port() const;
  // "http://127.0.0.1:<port>" + target.
  std::string Url(absl::string_view target) const;

  // Replies are taken in FIFO order, one per request; when the queue is empty
  // the handler answers, and without a handler the default reply (200, "ok").
  void Enqueue(ScriptedReply reply);
  void SetHandler(Handler handler);
  void SetDefault(ScriptedReply reply);

  std::vector<RecordedRequest> Requests() const;
  int RequestCount() const;
  int AcceptedConnections() const;
  // True once at least `n` requests have arrived, false on timeout.
  bool WaitForRequests(int n, absl::Duration timeout) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediagw::fakes

#endif  // MEDIAGW_TESTS_FAKES_FAKE_UPSTREAM_H_
