// A ResponseWriter decorator the route table puts around every response:
// it returns the request id (`x-request-id`), and when the response head
// goes out it writes the access log line (common/access_log.h) and records
// the request metrics (common/request_metrics.h) under the route's name.
// Duration is to the response head (a streamed body may go on after it).
//
// Thread-safe, like the writer it wraps.
#ifndef MEDIAGW_GATEWAY_OBSERVED_WRITER_H_
#define MEDIAGW_GATEWAY_OBSERVED_WRITER_H_

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/access_log.h"
#include "net/http_server.h"

namespace mediagw::gateway {

class ObservedWriter : public net::ResponseWriter {
 public:
  ObservedWriter(std::shared_ptr<net::ResponseWriter> inner,
                 AccessLogEntry entry);
  ~ObservedWriter() override;

  // The caller's key name for the access line, once a handler knows it.
  void SetKeyName(absl::string_view name);

  void Send(net::ServerResponse response) override;
  void SendBody(net::ServerResponse head, uint64_t length,
                std::shared_ptr<net::BodySource> source) override;
  void StartStream(int status, HttpHeaders headers) override;
  void Write(std::string chunk) override { inner_->Write(std::move(chunk)); }
  void WriteThen(std::string chunk, std::function<void()> written) override {
    inner_->WriteThen(std::move(chunk), std::move(written));
  }
  void End() override { inner_->End(); }
  void OnClose(std::function<void()> fn) override {
    inner_->OnClose(std::move(fn));
  }
  void Abort() override;
  absl::Status AcceptWebSocket(net::WebSocketCallbacks callbacks) override;

 private:
  // Logs and counts once: the first answer wins.
  void Observe(int status, uint64_t bytes_out);

  const std::shared_ptr<net::ResponseWriter> inner_;
  absl::Mutex mu_;
  AccessLogEntry entry_ ABSL_GUARDED_BY(mu_);
  bool observed_ ABSL_GUARDED_BY(mu_) = false;
};

// Notes the caller's key name on `writer` when it is an ObservedWriter.
void NoteKeyName(const std::shared_ptr<net::ResponseWriter>& writer,
                 absl::string_view name);

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_OBSERVED_WRITER_H_
