#include "core/channel_slots.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace mediagw {
namespace {

std::vector<std::pair<std::string, int>> Sorted(
    const absl::flat_hash_map<std::string, int>& m) {
  std::vector<std::pair<std::string, int>> out(m.begin(), m.end());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

bool ChannelSlots::Take(const std::string& task_id, const Channel& channel) {
  absl::MutexLock l(&mu_);
  auto held = slot_of_.find(task_id);
  if (held != slot_of_.end() && held->second == channel.name) return true;
  int& load = load_[channel.name];
  if (channel.max_concurrency > 0 && load >= channel.max_concurrency) {
    return false;
  }
  ++load;
  if (held != slot_of_.end()) {
    --load_[held->second];
    held->second = channel.name;
  } else {
    slot_of_[task_id] = channel.name;
  }
  return true;
}

void ChannelSlots::Release(const std::string& task_id) {
  absl::MutexLock l(&mu_);
  ReleaseLocked(task_id);
}

void ChannelSlots::ReleaseLocked(const std::string& task_id) {
  auto held = slot_of_.find(task_id);
  if (held == slot_of_.end()) return;
  --load_[held->second];
  slot_of_.erase(held);
}

void ChannelSlots::SetWaiting(const std::string& task_id,
                              const std::string& workflow) {
  absl::MutexLock l(&mu_);
  SetWaitingLocked(task_id, workflow);
}

void ChannelSlots::SetWaitingLocked(const std::string& task_id,
                                    const std::string& workflow) {
  auto it = waiting_for_.find(task_id);
  if (it != waiting_for_.end()) {
    if (it->second == workflow) return;
    --waiters_[it->second];
    waiting_for_.erase(it);
  }
  if (workflow.empty()) return;
  waiting_for_[task_id] = workflow;
  ++waiters_[workflow];
}

void ChannelSlots::Forget(const std::string& task_id) {
  absl::MutexLock l(&mu_);
  ReleaseLocked(task_id);
  SetWaitingLocked(task_id, "");
}

size_t ChannelSlots::PickWeighted(const std::vector<Channel>& channels,
                                  const std::vector<bool>& ready) {
  std::string key;
  for (const Channel& c : channels) absl::StrAppend(&key, c.name, "\n");
  absl::MutexLock l(&mu_);
  std::vector<int>& current = route_weights_[key];
  current.resize(channels.size(), 0);
  int total = 0;
  int best = -1;
  for (size_t i = 0; i < channels.size(); ++i) {
    const Channel& c = channels[i];
    const bool full =
        c.max_concurrency > 0 && load_[c.name] >= c.max_concurrency;
    if (!ready[i] || full || c.weight <= 0) continue;
    current[i] += c.weight;
    total += c.weight;
    if (best < 0 || current[i] > current[best]) best = static_cast<int>(i);
  }
  if (best < 0) return 0;
  current[best] -= total;
  return static_cast<size_t>(best);
}

std::vector<std::pair<std::string, int>> ChannelSlots::ActiveCounts() const {
  absl::MutexLock l(&mu_);
  return Sorted(load_);
}

std::vector<std::pair<std::string, int>> ChannelSlots::WaitingCounts() const {
  absl::MutexLock l(&mu_);
  return Sorted(waiters_);
}

}  // namespace mediagw
