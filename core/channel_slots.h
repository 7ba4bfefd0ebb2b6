// Channel choice bookkeeping for the Dispatcher: which task holds a
// concurrency slot of which channel, which tasks wait because no channel of
// their workflow can take them, and the smooth weighted round robin state of
// weighted routes.
//
// Thread-safe; never blocks beyond its own short lock and calls nothing
// outside itself while holding it, so callers may hold their own locks
// (the Dispatcher calls it under a task's mutex).
#ifndef MEDIAGW_CORE_CHANNEL_SLOTS_H_
#define MEDIAGW_CORE_CHANNEL_SLOTS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/provider.h"

namespace mediagw {

class ChannelSlots {
 public:
  // Counts `task_id` against `channel`'s max_concurrency, moving it off the
  // channel it held before, if any. False (and nothing changes) when the
  // channel is full. True at once if it already holds this channel.
  bool Take(const std::string& task_id, const Channel& channel);
  // Gives back the task's slot, if it holds one.
  void Release(const std::string& task_id);
  // Marks the task as waiting for a channel of `workflow`; empty: not
  // waiting.
  void SetWaiting(const std::string& task_id, const std::string& workflow);
  // Release and SetWaiting(task_id, "") at once: the task has retired.
  void Forget(const std::string& task_id);

  // The index of the channel a new task of a weighted route starts on:
  // smooth weighted round robin over those that are ready (`ready[i]`) and
  // below their concurrency limit; 0 when none is.
  size_t PickWeighted(const std::vector<Channel>& channels,
                      const std::vector<bool>& ready);

  // Tasks holding a slot, by channel name (every channel that ever had
  // one), and tasks waiting for a channel, by workflow; sorted by name.
  std::vector<std::pair<std::string, int>> ActiveCounts() const;
  std::vector<std::pair<std::string, int>> WaitingCounts() const;

 private:
  void ReleaseLocked(const std::string& task_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetWaitingLocked(const std::string& task_id,
                        const std::string& workflow)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> load_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> slot_of_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> waiters_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> waiting_for_
      ABSL_GUARDED_BY(mu_);
  // Per weighted route (key: its channel names), one entry per channel.
  absl::flat_hash_map<std::string, std::vector<int>> route_weights_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_CHANNEL_SLOTS_H_
