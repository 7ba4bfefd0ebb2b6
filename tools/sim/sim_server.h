// The simulated ComfyUI server, ready to embed: owns the file store, fault
// registry, websocket hub, job engine, routes and the HTTP server.
//
//   SimServer sim({.step_time = absl::Milliseconds(5)});
//   MG_RETURN_IF_ERROR(sim.Start());
//   std::string base = absl::StrCat("http://127.0.0.1:", sim.port());
//
// Threading: Start/Stop from one thread; faults() and engine() are
// thread-safe objects usable while serving. The destructor Stop()s.
#ifndef MEDIAGW_TOOLS_SIM_SIM_SERVER_H_
#define MEDIAGW_TOOLS_SIM_SIM_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/thread_pool.h"
#include "net/http_server.h"
#include "tools/sim/comfy_engine.h"
#include "tools/sim/comfy_routes.h"
#include "tools/sim/faults.h"
#include "tools/sim/file_store.h"
#include "tools/sim/vendor_routes.h"
#include "tools/sim/ws_hub.h"

namespace mediagw::sim {

struct SimOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: the kernel picks; see port()
  absl::Duration step_time = absl::Milliseconds(50);  // per sampler step
  absl::Duration start_delay = absl::Milliseconds(50);  // before a job's events
  size_t max_history = 1000;
  int threads = 2;  // HTTP server threads
  // Bearer key the vendor APIs (xAI, OpenAI-compatible, kie, job APIs)
  // require; a request without it gets the vendor's 401.
  std::string api_key = "sim-key";
  // kie: HMAC key that signs callbacks (X-Webhook-Signature).
  std::string webhook_hmac_key = "sim-webhook-key";
};

class SimServer {
 public:
  explicit SimServer(SimOptions options);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  // UNAVAILABLE if the address cannot be bound.
  absl::Status Start();
  int port() const;
  // Closes connections, then stops the engine. Idempotent.
  void Stop();

  FaultRegistry& faults() { return faults_; }
  ComfyEngine& engine() { return engine_; }
  const SimOptions& options() const { return options_; }

 private:
  // Declaration order is destruction order in reverse: the HTTP server
  // goes first, the stores last.
  const SimOptions options_;
  FileStore files_;
  FaultRegistry faults_;
  WsHub hub_;
  ComfyEngine engine_;
  ThreadPool slow_pool_;
  ComfyRoutes routes_;
  // Vendor APIs served under path prefixes (see vendor_routes.h).
  std::vector<std::unique_ptr<VendorRoutes>> vendors_;
  net::HttpServer server_;
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_SIM_SERVER_H_
