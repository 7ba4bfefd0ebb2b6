// Asynchronous HTTP/1.1 server on Boost.Beast, shared by the REST gateway and
// the provider simulator. Keep-alive, a request body limit, a header read
// timeout and an idle timeout; websocket upgrade and chunked streaming (SSE)
// for handlers that need them.
//
// Threading: the server runs its own io_context on `threads` threads. The
// handler is called on one of them and must not block; it answers through
// the ResponseWriter, at once or later from any thread. ResponseWriter and
// WebSocketSession methods are thread-safe.
#ifndef MEDIAGW_NET_HTTP_SERVER_H_
#define MEDIAGW_NET_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/http_client.h"  // HttpHeaders

namespace mediagw::net {

struct ServerRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target, e.g. "/v1/index.php?endpoint=x"
  std::string path;    // target before '?', percent-decoded
  std::string query;   // raw text after '?', may be empty
  HttpHeaders headers;  // names lower-cased, in arrival order
  std::string body;
  std::string remote;  // peer "ip:port"

  // First header with this (case-insensitive) name, or "".
  absl::string_view Header(absl::string_view name) const;
  // Percent-decoded ('+' as space) value of the first query parameter
  // `name`, or nullopt when absent.
  std::optional<std::string> QueryParam(absl::string_view name) const;
  // Every query parameter, percent-decoded, in order.
  std::vector<std::pair<std::string, std::string>> QueryParams() const;
};

struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  HttpHeaders headers;  // extra headers
  std::string body;
};

class WebSocketSession {
 public:
  virtual ~WebSocketSession() = default;
  // Queue a frame; frames go out in call order. No-op after close.
  virtual void SendText(std::string text) = 0;
  virtual void SendBinary(std::string bytes) = 0;
  virtual void Close() = 0;
  virtual bool IsOpen() const = 0;
};

struct WebSocketCallbacks {
  // Each runs on a server thread; must not block.
  std::function<void(std::shared_ptr<WebSocketSession>)> on_open;
  std::function<void(std::shared_ptr<WebSocketSession>, std::string)> on_text;
  std::function<void(std::shared_ptr<WebSocketSession>)> on_close;
};

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // Answer with exactly one of: Send; StartStream then Write* then End;
  // AcceptWebSocket. A writer dropped without answering sends a 500.
  virtual void Send(ServerResponse response) = 0;

  // Chunked response (e.g. text/event-stream). `headers` must include the
  // content type. Write after the peer has gone is a no-op.
  virtual void StartStream(int status, HttpHeaders headers) = 0;
  virtual void Write(std::string chunk) = 0;
  virtual void End() = 0;
  // Runs once when the connection closes (peer gone or End). Any thread.
  virtual void OnClose(std::function<void()> fn) = 0;

  // Closes the connection at once without (more of) a response; for fault
  // injection in the simulator.
  virtual void Abort() = 0;

  // Upgrades a websocket handshake request. Returns FAILED_PRECONDITION if
  // the request is not a websocket upgrade.
  virtual absl::Status AcceptWebSocket(WebSocketCallbacks callbacks) = 0;
};

using HttpHandler =
    std::function<void(ServerRequest request, std::shared_ptr<ResponseWriter>)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: the kernel picks; see HttpServer::port()
  size_t max_body_bytes = 8 << 20;        // larger bodies get 413
  size_t max_header_bytes = 16 << 10;     // larger headers get 431
  absl::Duration header_timeout = absl::Seconds(10);  // first byte to end of headers
  absl::Duration idle_timeout = absl::Seconds(60);    // between keep-alive requests
  int threads = 1;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. UNAVAILABLE if the address cannot be bound.
  absl::Status Start();
  int port() const;
  // Closes the listener and every connection, joins the threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediagw::net

#endif  // MEDIAGW_NET_HTTP_SERVER_H_
