// Fan-out of task changes to watchers (StreamTask, SSE). In-process
// implementation; a PostgreSQL LISTEN/NOTIFY one comes with the shared store.
#ifndef MEDIAGW_CORE_EVENT_BUS_H_
#define MEDIAGW_CORE_EVENT_BUS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw {

class EventBus {
 public:
  // Runs on the publisher's thread, outside any bus lock. Must be short and
  // must not block. `version` increases with every committed change.
  using Listener = std::function<void(const v1::Task& task, int64_t version)>;
  using SubscriptionId = uint64_t;

  virtual ~EventBus() = default;
  // Thread-safe. Listeners may Unsubscribe themselves from inside a call.
  virtual SubscriptionId Subscribe(const std::string& task_id,
                                   Listener listener) = 0;
  virtual void Unsubscribe(SubscriptionId id) = 0;
  virtual void Publish(const v1::Task& task, int64_t version) = 0;
};

class InProcessEventBus : public EventBus {
 public:
  SubscriptionId Subscribe(const std::string& task_id,
                           Listener listener) override;
  void Unsubscribe(SubscriptionId id) override;
  void Publish(const v1::Task& task, int64_t version) override;
  size_t SubscriberCount() const;

 private:
  mutable absl::Mutex mu_;
  SubscriptionId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // task id -> (subscription id -> listener)
  absl::flat_hash_map<std::string,
                      absl::flat_hash_map<SubscriptionId,
                                          std::shared_ptr<Listener>>>
      by_task_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<SubscriptionId, std::string> task_of_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_EVENT_BUS_H_
