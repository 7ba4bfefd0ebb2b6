#include "tools/sim/ws_hub.h"

#include <algorithm>

namespace mediagw::sim {

void WsHub::Add(const std::string& client_id,
                std::shared_ptr<net::WebSocketSession> session) {
  absl::MutexLock l(&mu_);
  entries_.push_back({client_id, std::move(session)});
}

void WsHub::Remove(const net::WebSocketSession* session) {
  absl::MutexLock l(&mu_);
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) {
                                  return e.session.get() == session;
                                }),
                 entries_.end());
}

size_t WsHub::size() const {
  absl::MutexLock l(&mu_);
  return entries_.size();
}

std::vector<std::shared_ptr<net::WebSocketSession>> WsHub::Select(
    const std::string* client_id) const {
  absl::MutexLock l(&mu_);
  std::vector<std::shared_ptr<net::WebSocketSession>> out;
  for (const Entry& e : entries_) {
    if (client_id == nullptr || e.client_id == *client_id) {
      out.push_back(e.session);
    }
  }
  return out;
}

void WsHub::SendTo(const std::string& client_id, std::string message) {
  for (const auto& session : Select(&client_id)) session->SendText(message);
}

void WsHub::Broadcast(std::string message) {
  for (const auto& session : Select(nullptr)) session->SendText(message);
}

}  // namespace mediagw::sim
