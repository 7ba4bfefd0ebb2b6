// What a task costs, from the workflows' `price` in the config
// (docs/ACCOUNTS.md). Integer credits; no floating point in money.
// Immutable after construction; thread-safe.
#ifndef MEDIAGW_ACCOUNTS_PRICE_TABLE_H_
#define MEDIAGW_ACCOUNTS_PRICE_TABLE_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/task_store.h"
#include "mediagw/config/config.pb.h"

namespace mediagw {

// The most one output may cost, so that a task's price (at most
// kMaxUnits outputs) never overflows.
inline constexpr int64_t kMaxUnitPrice = int64_t{1} << 40;
inline constexpr int64_t kMaxUnits = 1024;

class PriceTable {
 public:
  PriceTable() = default;
  // INVALID_ARGUMENT (naming the workflow) for a price below 0 or above
  // kMaxUnitPrice.
  static absl::StatusOr<PriceTable> FromConfig(const config::Config& config);

  // The price of one output of `record`: per_model[model], else
  // per_resolution["WxH"], else per_output of its workflow; 0 for a
  // workflow without a price.
  int64_t UnitPrice(const TaskRecord& record) const;
  // Outputs a task is held for: n (1 when unset) for an image, 1 for a
  // video; clamped to [1, kMaxUnits].
  static int64_t Units(const TaskRecord& record);

 private:
  absl::flat_hash_map<std::string, config::Price> by_workflow_;
};

}  // namespace mediagw

#endif  // MEDIAGW_ACCOUNTS_PRICE_TABLE_H_
