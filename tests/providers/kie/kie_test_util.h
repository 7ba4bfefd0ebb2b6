// Helpers for the kie provider tests: records built the way the dispatcher
// builds them, a callback receiver on a real HTTP server, and signing the
// way kie signs. The bounded waits (SubmitSync, PollSync, ...) come from
// the ComfyUI tests' provider_test_util.h.
#ifndef MEDIAGW_TESTS_PROVIDERS_KIE_KIE_TEST_UTIL_H_
#define MEDIAGW_TESTS_PROVIDERS_KIE_KIE_TEST_UTIL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto.h"
#include "core/provider.h"
#include "net/http_server.h"

namespace mediagw::kie::testing {

// A normalized image task as the dispatcher hands it to a provider.
inline TaskRecord ImageRecord(const std::string& task_id, int width = 768,
                              int height = 512) {
  TaskRecord r;
  r.mutable_task()->set_id(task_id);
  r.mutable_task()->set_kind(v1::TASK_KIND_IMAGE);
  r.mutable_task()->set_workflow("grok-kie");
  auto* req = r.mutable_request();
  req->set_prompt("a lighthouse at dusk");
  req->set_width(width);
  req->set_height(height);
  req->set_seed(42);
  req->set_n(1);
  req->set_workflow("grok-kie");
  return r;
}

// A normalized image-to-video task (prompt copied into request, as the
// normalizer does).
inline TaskRecord VideoRecord(const std::string& task_id) {
  TaskRecord r;
  r.mutable_task()->set_id(task_id);
  r.mutable_task()->set_kind(v1::TASK_KIND_VIDEO);
  r.mutable_task()->set_workflow("kie-video");
  r.mutable_request()->set_prompt("waves rolling in");
  r.mutable_request()->set_workflow("kie-video");
  r.mutable_video()->set_prompt("waves rolling in");
  r.mutable_video()->set_workflow("kie-video");
  r.set_input_blob(absl::StrCat(task_id, "_input.png"));
  r.set_input_mime_type("image/png");
  return r;
}

// What kie puts into X-Webhook-Signature.
inline std::string KieSignature(absl::string_view key,
                                absl::string_view task_id,
                                absl::string_view timestamp) {
  return absl::Base64Escape(
      HmacSha256(key, absl::StrCat(task_id, ".", timestamp)));
}

// A real HTTP server on 127.0.0.1:0 that records every POST and answers
// 200 {}: where the simulator sends its callbacks.
class CallbackCatcher {
 public:
  CallbackCatcher()
      : server_(Options(), [this](net::ServerRequest request,
                                  std::shared_ptr<net::ResponseWriter> w) {
          {
            absl::MutexLock lock(&mu_);
            received_.push_back(std::move(request));
          }
          net::ServerResponse r;
          r.body = "{}";
          w->Send(std::move(r));
        }) {}

  absl::Status Start() { return server_.Start(); }
  std::string Url(absl::string_view path) const {
    return absl::StrCat("http://127.0.0.1:", server_.port(), path);
  }
  std::vector<net::ServerRequest> Received() const {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  // True once `n` requests arrived; false after `timeout`.
  bool WaitFor(size_t n, absl::Duration timeout) const {
    const absl::Time end = absl::Now() + timeout;
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (received_.size() >= n) return true;
      }
      if (absl::Now() >= end) return false;
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

 private:
  static net::HttpServerOptions Options() {
    net::HttpServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    return o;
  }

  mutable absl::Mutex mu_;
  std::vector<net::ServerRequest> received_ ABSL_GUARDED_BY(mu_);
  net::HttpServer server_;  // last: stops before the vector goes
};

// The CallbackRequest the gateway would hand to the provider.
inline CallbackRequest ToCallback(const net::ServerRequest& r) {
  CallbackRequest c;
  c.headers = r.headers;  // already lower-cased by the server
  c.body = r.body;
  return c;
}

}  // namespace mediagw::kie::testing

#endif  // MEDIAGW_TESTS_PROVIDERS_KIE_KIE_TEST_UTIL_H_
