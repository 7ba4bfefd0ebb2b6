// Internal to net/: the ResponseWriter handed to the HTTP handler. Enforces
// the answer protocol (exactly one of Send / SendBody / StartStream..End /
// AcceptWebSocket; Abort at any time) and forwards each accepted call to the
// HttpSession, which performs it on the connection's strand.
//
// Thread-safe. A writer destroyed before answering sends a 500; one destroyed
// in the middle of a stream ends the stream.
#ifndef MEDIAGW_NET_RESPONSE_WRITER_H_
#define MEDIAGW_NET_RESPONSE_WRITER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "net/http_server.h"
#include "net/server_context.h"

namespace mediagw::net {

class HttpSession;

class ResponseWriterImpl : public ResponseWriter {
 public:
  ResponseWriterImpl(std::shared_ptr<HttpSession> session, uint64_t exchange,
                     bool is_upgrade, std::shared_ptr<CloseNotifier> notifier);
  ~ResponseWriterImpl() override;

  void Send(ServerResponse response) override;
  void SendBody(ServerResponse head, uint64_t length,
                std::shared_ptr<BodySource> source) override;
  void StartStream(int status, HttpHeaders headers) override;
  void Write(std::string chunk) override;
  void WriteThen(std::string chunk, std::function<void()> written) override;
  void End() override;
  // `fn` runs once when the exchange is over: after the response (or the
  // last chunk) is written, on Abort, or when the connection closes. If that
  // already happened, `fn` runs at once on the calling thread.
  void OnClose(std::function<void()> fn) override;
  void Abort() override;
  // FAILED_PRECONDITION if the request is not an upgrade or was already
  // answered; UNAVAILABLE if the server is stopping.
  absl::Status AcceptWebSocket(WebSocketCallbacks callbacks) override;

 private:
  enum class Phase { kNew, kSent, kStreaming, kEnded, kAborted, kWebSocket };

  // Moves from `from` to `to`; false (and no change) if the phase is not
  // `from`.
  bool Transition(Phase from, Phase to);

  const std::shared_ptr<HttpSession> session_;
  const uint64_t exchange_;
  const bool is_upgrade_;
  const std::shared_ptr<CloseNotifier> notifier_;

  mutable absl::Mutex mu_;
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kNew;
};

}  // namespace mediagw::net

#endif  // MEDIAGW_NET_RESPONSE_WRITER_H_
