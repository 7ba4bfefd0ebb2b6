#include "gateway/observed_writer.h"

#include <utility>

#include "absl/time/clock.h"
#include "common/request_metrics.h"

namespace mediagw::gateway {

ObservedWriter::ObservedWriter(std::shared_ptr<net::ResponseWriter> inner,
                               AccessLogEntry entry)
    : inner_(std::move(inner)), entry_(std::move(entry)) {}

ObservedWriter::~ObservedWriter() {
  // A handler that dropped the writer unanswered gets the inner writer's
  // 500; count it as such.
  Observe(500, 0);
}

void ObservedWriter::SetKeyName(absl::string_view name) {
  absl::MutexLock l(&mu_);
  entry_.key_name = std::string(name);
}

void ObservedWriter::Observe(int status, uint64_t bytes_out) {
  AccessLogEntry entry;
  {
    absl::MutexLock l(&mu_);
    if (observed_) return;
    observed_ = true;
    entry = entry_;
  }
  entry.status = status;
  entry.bytes_out = static_cast<int64_t>(bytes_out);
  entry.duration = absl::Now() - entry.start;
  LogAccess(entry);
  RecordHttpRequest(entry.route, status, entry.duration);
}

void ObservedWriter::Send(net::ServerResponse response) {
  std::string id;
  {
    absl::MutexLock l(&mu_);
    id = entry_.request_id;
  }
  response.headers.emplace_back("x-request-id", id);
  Observe(response.status, response.body.size());
  inner_->Send(std::move(response));
}

void ObservedWriter::SendBody(net::ServerResponse head, uint64_t length,
                              std::shared_ptr<net::BodySource> source) {
  std::string id;
  {
    absl::MutexLock l(&mu_);
    id = entry_.request_id;
  }
  head.headers.emplace_back("x-request-id", id);
  Observe(head.status, length);
  inner_->SendBody(std::move(head), length, std::move(source));
}

void ObservedWriter::StartStream(int status, HttpHeaders headers) {
  std::string id;
  {
    absl::MutexLock l(&mu_);
    id = entry_.request_id;
  }
  headers.emplace_back("x-request-id", id);
  Observe(status, 0);
  inner_->StartStream(status, std::move(headers));
}

void ObservedWriter::Abort() {
  Observe(499, 0);  // closed without an answer, as nginx counts it
  inner_->Abort();
}

absl::Status ObservedWriter::AcceptWebSocket(net::WebSocketCallbacks callbacks) {
  Observe(101, 0);
  return inner_->AcceptWebSocket(std::move(callbacks));
}

void NoteKeyName(const std::shared_ptr<net::ResponseWriter>& writer,
                 absl::string_view name) {
  if (auto* observed = dynamic_cast<ObservedWriter*>(writer.get())) {
    observed->SetKeyName(name);
  }
}

}  // namespace mediagw::gateway
