// Fair shares of free dispatcher slots among accounts with waiting tasks:
// deficit round robin, weighted by each account's weight
// (docs/ACCOUNTS.md "Fair queueing"). The waiting tasks themselves stay in
// the store; this only decides how many of each account's oldest to load.
//
// Not thread-safe: the Dispatcher calls it from one refill at a time.
#ifndef MEDIAGW_CORE_FAIR_QUEUE_H_
#define MEDIAGW_CORE_FAIR_QUEUE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace mediagw {

class FairQueue {
 public:
  using WeightFn = std::function<uint32_t(const std::string& owner)>;

  // Splits `slots` among `waiting` (owner, tasks waiting; owners unique):
  // owners take turns in a ring; at its turn an owner's deficit grows by
  // its weight (at least 1) and it gets one slot per whole unit of deficit,
  // never more than it has waiting. The ring position and the deficits of
  // owners still waiting carry over to the next call, so an owner with a
  // deep queue cannot take every slot as they free one by one. Returns
  // (owner, slots) pairs with slots > 0, in the order served.
  std::vector<std::pair<std::string, int>> Allocate(
      const std::vector<std::pair<std::string, int64_t>>& waiting, int slots,
      const WeightFn& weight);

 private:
  absl::flat_hash_map<std::string, int64_t> deficit_;
  std::string last_served_;  // the ring resumes after it
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_FAIR_QUEUE_H_
