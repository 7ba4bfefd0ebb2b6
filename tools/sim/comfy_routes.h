// HTTP and websocket routes of the simulated ComfyUI server, plus the
// /_sim/ control endpoints for tests.
//
// ComfyUI routes (each also under the /api prefix, as ComfyUI serves them):
//   GET  /prompt, POST /prompt, GET|POST /queue, POST /interrupt,
//   GET  /history, GET /history/{id}, POST /history, GET /view,
//   POST /upload/image, GET /ws, GET /system_stats, GET /object_info[/{c}],
//   GET  /features, /embeddings, /extensions, /models
// Control routes (never counted, never faulted):
//   POST /_sim/faults {"mode","count","path_prefix","slow_ms"} -> 200 | 400
//   DELETE /_sim/faults -> 200; GET /_sim/stats -> counters
//   GET /_sim/submits -> {"<api>:<prompt>": submits} (FaultRegistry)
//
// Threading: Handle() runs on a server thread and does not block; slow-body
// faults trickle their response from `slow_executor`. All collaborators must
// outlive the routes.
#ifndef MEDIAGW_TOOLS_SIM_COMFY_ROUTES_H_
#define MEDIAGW_TOOLS_SIM_COMFY_ROUTES_H_

#include <memory>
#include <optional>
#include <vector>

#include "common/thread_pool.h"
#include "net/http_server.h"
#include "tools/sim/comfy_engine.h"
#include "tools/sim/faults.h"
#include "tools/sim/vendor_routes.h"
#include "tools/sim/file_store.h"
#include "tools/sim/ws_hub.h"

namespace mediagw::sim {

class ComfyRoutes {
 public:
  ComfyRoutes(ComfyEngine* engine, FileStore* files, FaultRegistry* faults,
              WsHub* hub, Executor* slow_executor);

  // Serves `vendor` under its prefix. Call before serving; not owned.
  void AddVendor(VendorRoutes* vendor) { vendors_.push_back(vendor); }

  void Handle(net::ServerRequest request,
              std::shared_ptr<net::ResponseWriter> writer);

 private:
  // nullopt: the route answered by itself (websocket upgrade).
  std::optional<net::ServerResponse> Route(
      const net::ServerRequest& request, absl::string_view path,
      const std::shared_ptr<net::ResponseWriter>& writer);
  net::ServerResponse Control(const net::ServerRequest& request);

  net::ServerResponse PostPrompt(const net::ServerRequest& request);
  net::ServerResponse PostQueue(const net::ServerRequest& request);
  net::ServerResponse PostHistory(const net::ServerRequest& request);
  net::ServerResponse PostInterrupt(const net::ServerRequest& request);
  net::ServerResponse GetHistory(const net::ServerRequest& request,
                                 absl::string_view id);
  net::ServerResponse GetView(const net::ServerRequest& request);
  net::ServerResponse UploadImage(const net::ServerRequest& request);
  std::optional<net::ServerResponse> OpenWebSocket(
      const net::ServerRequest& request,
      const std::shared_ptr<net::ResponseWriter>& writer);
  void SendSlowly(std::shared_ptr<net::ResponseWriter> writer,
                  net::ServerResponse response, int slow_ms);
  bool InputExists(absl::string_view annotated_name) const;

  ComfyEngine* const engine_;
  FileStore* const files_;
  FaultRegistry* const faults_;
  WsHub* const hub_;
  Executor* const slow_executor_;
  std::vector<VendorRoutes*> vendors_;
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_COMFY_ROUTES_H_
