#include "net/server_context.h"

#include <algorithm>
#include <utility>

namespace mediagw::net {

void CloseNotifier::Add(std::function<void()> fn) {
  {
    absl::MutexLock lock(&mu_);
    if (!fired_) {
      fns_.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

void CloseNotifier::Fire() {
  std::vector<std::function<void()>> fns;
  {
    absl::MutexLock lock(&mu_);
    if (fired_) return;
    fired_ = true;
    fns.swap(fns_);
  }
  for (auto& fn : fns) fn();
}

bool CloseNotifier::fired() const {
  absl::MutexLock lock(&mu_);
  return fired_;
}

ServerContext::ServerContext(HttpServerOptions options, HttpHandler handler)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      ioc_(options_.threads > 0 ? options_.threads : 1) {}

void ConnectionSlot::Release() {
  if (ctx_ != nullptr) std::exchange(ctx_, nullptr)->ReleaseSlot();
}

std::optional<ConnectionSlot> ServerContext::TryAdmit() {
  const size_t cap = options_.max_connections;
  size_t open = open_.load();
  do {
    if (cap > 0 && open >= cap) return std::nullopt;
  } while (!open_.compare_exchange_weak(open, open + 1));
  return ConnectionSlot(this);
}

void ServerContext::EvictIdleNearCap() {
  const size_t cap = options_.max_connections;
  if (cap == 0) return;
  const size_t mark = cap - cap / 10;
  const size_t open = open_.load();
  if (open < mark) return;
  // A bounded batch per accept: the next accepts take the rest.
  constexpr size_t kMaxBatch = 64;
  const size_t want = std::min(open - mark + 1, kMaxBatch);
  std::vector<std::shared_ptr<Connection>> victims;
  {
    absl::MutexLock lock(&mu_);
    while (victims.size() < want && !idle_.empty()) {
      const uint64_t id = idle_.begin()->second;
      idle_.erase(idle_.begin());
      auto it = live_.find(id);
      if (it == live_.end()) continue;
      it->second.idle_seq = 0;
      if (auto conn = it->second.conn.lock()) victims.push_back(std::move(conn));
    }
  }
  for (const auto& conn : victims) conn->CloseIfIdle();
}

bool ServerContext::Register(std::weak_ptr<Connection> conn, uint64_t* id) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  *id = next_id_++;
  live_.emplace(*id, Live{std::move(conn), 0});
  return true;
}

void ServerContext::Unregister(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = live_.find(id);
  if (it == live_.end()) return;
  if (it->second.idle_seq != 0) idle_.erase(it->second.idle_seq);
  live_.erase(it);
}

void ServerContext::SetIdle(uint64_t id, bool idle) {
  absl::MutexLock lock(&mu_);
  auto it = live_.find(id);
  if (it == live_.end()) return;
  Live& live = it->second;
  if (live.idle_seq != 0) {
    idle_.erase(live.idle_seq);
    live.idle_seq = 0;
  }
  if (idle) {
    live.idle_seq = next_idle_seq_++;
    idle_.emplace(live.idle_seq, id);
  }
}

std::vector<std::shared_ptr<Connection>> ServerContext::BeginStop() {
  std::vector<std::shared_ptr<Connection>> out;
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (auto& [id, live] : live_) {
    if (auto conn = live.conn.lock()) out.push_back(std::move(conn));
  }
  live_.clear();
  idle_.clear();
  return out;
}

bool ServerContext::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

std::vector<std::shared_ptr<Connection>> ServerContext::BeginDrain() {
  std::vector<std::shared_ptr<Connection>> out;
  absl::MutexLock lock(&mu_);
  draining_ = true;
  for (auto& [id, live] : live_) {
    if (auto conn = live.conn.lock()) out.push_back(std::move(conn));
  }
  return out;
}

bool ServerContext::draining() const {
  absl::MutexLock lock(&mu_);
  return draining_ || stopping_;
}

}  // namespace mediagw::net
