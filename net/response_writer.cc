#include "net/response_writer.h"

#include <utility>

#include "net/http_session.h"

namespace mediagw::net {

ResponseWriterImpl::ResponseWriterImpl(std::shared_ptr<HttpSession> session,
                                       uint64_t exchange, bool is_upgrade,
                                       std::shared_ptr<CloseNotifier> notifier)
    : session_(std::move(session)),
      exchange_(exchange),
      is_upgrade_(is_upgrade),
      notifier_(std::move(notifier)) {}

ResponseWriterImpl::~ResponseWriterImpl() {
  Phase phase;
  {
    absl::MutexLock lock(&mu_);
    phase = phase_;
  }
  if (phase == Phase::kNew) {
    ServerResponse response;
    response.status = 500;
    response.body =
        R"({"success":false,"data":null,"error":"Internal server error"})";
    session_->Send(exchange_, std::move(response));
  } else if (phase == Phase::kStreaming) {
    session_->End(exchange_);
  }
}

bool ResponseWriterImpl::Transition(Phase from, Phase to) {
  absl::MutexLock lock(&mu_);
  if (phase_ != from) return false;
  phase_ = to;
  return true;
}

void ResponseWriterImpl::Send(ServerResponse response) {
  if (!Transition(Phase::kNew, Phase::kSent)) return;
  session_->Send(exchange_, std::move(response));
}

void ResponseWriterImpl::SendBody(ServerResponse head, uint64_t length,
                                  std::shared_ptr<BodySource> source) {
  if (!Transition(Phase::kNew, Phase::kSent)) return;
  session_->SendBody(exchange_, std::move(head), length, std::move(source));
}

void ResponseWriterImpl::StartStream(int status, HttpHeaders headers) {
  if (!Transition(Phase::kNew, Phase::kStreaming)) return;
  session_->StartStream(exchange_, status, std::move(headers));
}

void ResponseWriterImpl::Write(std::string chunk) {
  {
    absl::MutexLock lock(&mu_);
    if (phase_ != Phase::kStreaming) return;
  }
  // Cheap early exit once the peer is gone; the session re-checks anyway.
  if (notifier_->fired()) return;
  session_->Write(exchange_, std::move(chunk));
}

void ResponseWriterImpl::WriteThen(std::string chunk,
                                   std::function<void()> written) {
  {
    absl::MutexLock lock(&mu_);
    if (phase_ != Phase::kStreaming) return;
  }
  if (notifier_->fired()) return;
  session_->Write(exchange_, std::move(chunk), std::move(written));
}

void ResponseWriterImpl::End() {
  if (!Transition(Phase::kStreaming, Phase::kEnded)) return;
  session_->End(exchange_);
}

void ResponseWriterImpl::OnClose(std::function<void()> fn) {
  notifier_->Add(std::move(fn));
}

void ResponseWriterImpl::Abort() {
  {
    absl::MutexLock lock(&mu_);
    if (phase_ == Phase::kAborted || phase_ == Phase::kWebSocket) return;
    phase_ = Phase::kAborted;
  }
  session_->Abort(exchange_);
}

absl::Status ResponseWriterImpl::AcceptWebSocket(
    WebSocketCallbacks callbacks) {
  if (!is_upgrade_) {
    return absl::FailedPreconditionError(
        "request is not a websocket upgrade");
  }
  if (!Transition(Phase::kNew, Phase::kWebSocket)) {
    return absl::FailedPreconditionError("request already answered");
  }
  if (!session_->AcceptWebSocket(exchange_, std::move(callbacks))) {
    return absl::UnavailableError("server is stopping");
  }
  return absl::OkStatus();
}

}  // namespace mediagw::net
