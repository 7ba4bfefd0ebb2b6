// A ResponseWriter that keeps what a handler answered, for handler tests
// that need no socket. Thread-safe: answers may come from a core callback.
#ifndef MEDIAGW_TESTS_GATEWAY_RECORDING_WRITER_H_
#define MEDIAGW_TESTS_GATEWAY_RECORDING_WRITER_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "net/http_server.h"

namespace mediagw::gateway::testing_util {

class RecordingWriter : public net::ResponseWriter {
 public:
  void Send(net::ServerResponse response) override {
    absl::MutexLock l(&mu_);
    response_ = std::move(response);
  }
  void SendBody(net::ServerResponse head, uint64_t,
                std::shared_ptr<net::BodySource>) override {
    Send(std::move(head));
  }
  void StartStream(int status, HttpHeaders headers) override {
    net::ServerResponse r;
    r.status = status;
    r.headers = std::move(headers);
    Send(std::move(r));
  }
  void Write(std::string chunk) override {
    absl::MutexLock l(&mu_);
    if (response_) response_->body += chunk;
  }
  void End() override {}
  void OnClose(std::function<void()>) override {}
  void Abort() override {}
  absl::Status AcceptWebSocket(net::WebSocketCallbacks) override {
    return absl::FailedPreconditionError("not a websocket");
  }

  // The answer, once one was sent.
  std::optional<net::ServerResponse> response() const {
    absl::MutexLock l(&mu_);
    return response_;
  }

 private:
  mutable absl::Mutex mu_;
  std::optional<net::ServerResponse> response_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw::gateway::testing_util

#endif  // MEDIAGW_TESTS_GATEWAY_RECORDING_WRITER_H_
