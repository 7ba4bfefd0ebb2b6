#include "core/fair_queue.h"

#include <algorithm>

namespace mediagw {

std::vector<std::pair<std::string, int>> FairQueue::Allocate(
    const std::vector<std::pair<std::string, int64_t>>& waiting, int slots,
    const WeightFn& weight) {
  std::vector<std::pair<std::string, int64_t>> ring;
  for (const auto& [owner, n] : waiting) {
    if (n > 0) ring.emplace_back(owner, n);
  }
  std::sort(ring.begin(), ring.end());
  // Owners no longer waiting start afresh when they return.
  absl::flat_hash_map<std::string, int64_t> deficit;
  for (const auto& [owner, n] : ring) {
    auto it = deficit_.find(owner);
    deficit[owner] = it == deficit_.end() ? 0 : it->second;
  }
  deficit_ = std::move(deficit);
  std::vector<std::pair<std::string, int>> out;
  if (ring.empty() || slots <= 0) return out;

  // The first owner after the one served last.
  size_t start = 0;
  while (start < ring.size() && ring[start].first <= last_served_) ++start;
  if (start == ring.size()) start = 0;

  absl::flat_hash_map<std::string, int> given;
  int64_t remaining_total = 0;
  for (const auto& [owner, n] : ring) remaining_total += n;
  for (size_t turn = 0; slots > 0 && remaining_total > 0; ++turn) {
    auto& [owner, left] = ring[(start + turn) % ring.size()];
    if (left == 0) continue;
    int64_t& d = deficit_[owner];
    const uint32_t w = weight ? weight(owner) : 1;
    d += std::max<uint32_t>(w, 1);
    const int64_t take = std::min<int64_t>({d, left, slots});
    if (take == 0) continue;
    d -= take;
    left -= take;
    remaining_total -= take;
    slots -= static_cast<int>(take);
    if (given[owner] == 0) out.emplace_back(owner, 0);
    given[owner] += static_cast<int>(take);
    // An owner whose queue empties keeps no credit (plain DRR).
    if (left == 0) d = 0;
    last_served_ = owner;
  }
  for (auto& [owner, n] : out) n = given[owner];
  return out;
}

}  // namespace mediagw
