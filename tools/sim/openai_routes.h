// A simulated OpenAI-style image API under a path prefix of the simulator:
// xAI Grok images at "/xai", the seed 003 gateway at "/oai3", the seed 004
// gateway at "/oai4" (one instance per dialect; see openai_sim_codec.h for
// what each accepts).
//
// Routes (below the prefix):
//   POST /v1/images/generations  Authorization: Bearer <api key> required
//        (401 in the vendor's error shape otherwise); a malformed body or an
//        invalid parameter is 400; the images are rendered at once
//        (synchronous API) as JPEG files of the requested sizes and returned
//        as temporary URLs http://<Host header><prefix>/files/<name>.jpg or
//        inline as b64_json.
//   GET  /files/<name>.jpg       the image (no key needed, like the real
//        temporary URLs); 404 once evicted or never stored.
// Anything else is 404 (405 for a wrong method) in the vendor's shape.
//
// Job faults, taken once per generation: error_status answers 500
// {"error": {"message": "generation failed", ...}}; vanish returns the URLs
// but never stores the files, so fetching them is 404 (with b64_json the
// images are inline and the fault has no visible effect). Generic faults
// (http_500, http_status, drop_connection, malformed_json, slow_body) are
// applied by ComfyRoutes before and after Route.
//
// Files are kept in the simulator's FileStore (type "vendor", subfolder the
// prefix), at most kMaxFiles per instance; older ones are evicted first.
//
// Threading: Route runs on server threads concurrently; it renders on the
// calling thread (a 1k JPEG takes a few milliseconds) and never sleeps.
// `files` and `faults` are not owned and must outlive the routes.
#ifndef MEDIAGW_TOOLS_SIM_OPENAI_ROUTES_H_
#define MEDIAGW_TOOLS_SIM_OPENAI_ROUTES_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "net/http_server.h"
#include "tools/sim/faults.h"
#include "tools/sim/file_store.h"
#include "tools/sim/openai_sim_codec.h"
#include "tools/sim/vendor_routes.h"

namespace mediagw::sim {

class OpenAiRoutes : public VendorRoutes {
 public:
  static constexpr size_t kMaxFiles = 256;

  OpenAiRoutes(OpenAiDialect dialect, std::string api_key, FileStore* files,
               FaultRegistry* faults);

  absl::string_view Prefix() const override { return prefix_; }
  std::optional<net::ServerResponse> Route(
      const net::ServerRequest& request, absl::string_view path,
      const std::shared_ptr<net::ResponseWriter>& writer) override;
  net::ServerResponse ErrorResponse(int status,
                                    absl::string_view message) const override;

 private:
  net::ServerResponse Generate(const net::ServerRequest& request);
  net::ServerResponse GetFile(absl::string_view name) const;
  void Keep(const std::string& name, std::string bytes);

  const OpenAiDialect dialect_;
  const std::string prefix_;     // "/xai"
  const std::string subfolder_;  // "xai": where the files go in `files_`
  const std::string api_key_;
  FileStore* const files_;
  FaultRegistry* const faults_;
  absl::Mutex mu_;
  std::deque<std::string> kept_ ABSL_GUARDED_BY(mu_);  // oldest first
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_OPENAI_ROUTES_H_
