// Websocket fan-out of the simulator: open /ws sessions by ComfyUI client
// id. Implements the engine's EngineListener.
//
// Thread-safe. Frames are handed to WebSocketSession::SendText (which only
// queues) outside the hub's lock.
#ifndef MEDIAGW_TOOLS_SIM_WS_HUB_H_
#define MEDIAGW_TOOLS_SIM_WS_HUB_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "net/http_server.h"
#include "tools/sim/comfy_engine.h"

namespace mediagw::sim {

class WsHub : public EngineListener {
 public:
  void Add(const std::string& client_id,
           std::shared_ptr<net::WebSocketSession> session);
  void Remove(const net::WebSocketSession* session);
  size_t size() const;

  void SendTo(const std::string& client_id, std::string message) override;
  void Broadcast(std::string message) override;

 private:
  struct Entry {
    std::string client_id;
    std::shared_ptr<net::WebSocketSession> session;
  };
  std::vector<std::shared_ptr<net::WebSocketSession>> Select(
      const std::string* client_id) const;

  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_WS_HUB_H_
