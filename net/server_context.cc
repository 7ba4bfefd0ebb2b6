#include "net/server_context.h"

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

bool ServerContext::Register(std::weak_ptr<Connection> conn, uint64_t* id) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  *id = next_id_++;
  live_.emplace(*id, std::move(conn));
  return true;
}

void ServerContext::Unregister(uint64_t id) {
  absl::MutexLock lock(&mu_);
  live_.erase(id);
}

std::vector<std::shared_ptr<Connection>> ServerContext::BeginStop() {
  std::vector<std::shared_ptr<Connection>> out;
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (auto& [id, weak] : live_) {
    if (auto conn = weak.lock()) out.push_back(std::move(conn));
  }
  live_.clear();
  return out;
}

bool ServerContext::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

}  // namespace mediagw::net
