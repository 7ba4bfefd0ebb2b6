// A ResponseWriter that keeps what a handler answered, for handler tests
// that need no socket. Thread-safe: answers may come from a core callback.
#ifndef MEDIAGW_TESTS_GATEWAY_RECORDING_WRITER_H_
#define MEDIAGW_TESTS_GATEWAY_RECORDING_WRITER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

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
  // The chunk counts as written only when the test says so
  // (CompleteWrites), so a test can play a slow reader.
  void WriteThen(std::string chunk, std::function<void()> written) override {
    absl::MutexLock l(&mu_);
    if (!response_ || closed_) return;
    response_->body += chunk;
    pending_written_.push_back(std::move(written));
  }
  void End() override {
    absl::MutexLock l(&mu_);
    ended_ = true;
  }
  void OnClose(std::function<void()> fn) override {
    absl::MutexLock l(&mu_);
    on_close_.push_back(std::move(fn));
  }
  void Abort() override {}
  absl::Status AcceptWebSocket(net::WebSocketCallbacks) override {
    return absl::FailedPreconditionError("not a websocket");
  }

  // Runs the `written` callbacks of the chunks written so far, as the
  // socket would once they are out; returns how many ran.
  int CompleteWrites() {
    std::vector<std::function<void()>> fns;
    {
      absl::MutexLock l(&mu_);
      fns.swap(pending_written_);
    }
    for (auto& fn : fns) {
      if (fn) fn();
    }
    return static_cast<int>(fns.size());
  }
  // The peer goes away: the OnClose hooks run, later writes are dropped.
  void Close() {
    std::vector<std::function<void()>> fns;
    {
      absl::MutexLock l(&mu_);
      closed_ = true;
      fns.swap(on_close_);
      pending_written_.clear();
    }
    for (auto& fn : fns) fn();
  }
  bool ended() const {
    absl::MutexLock l(&mu_);
    return ended_;
  }
  // Everything sent so far: the head and the chunks.
  std::string body() const {
    absl::MutexLock l(&mu_);
    return response_ ? response_->body : "";
  }

  // The answer, once one was sent.
  std::optional<net::ServerResponse> response() const {
    absl::MutexLock l(&mu_);
    return response_;
  }

 private:
  mutable absl::Mutex mu_;
  std::optional<net::ServerResponse> response_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> pending_written_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> on_close_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace mediagw::gateway::testing_util

#endif  // MEDIAGW_TESTS_GATEWAY_RECORDING_WRITER_H_
