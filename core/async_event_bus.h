// An EventBus decorator that delivers on a thread of its own, so that a
// publisher (the store's writer thread, through TaskWriter) never waits for
// a task's watchers: ten thousand of them cost the fan-out thread seconds,
// and the store none of it.
//
// Per task, events are delivered in publish order, and only the latest one
// that has not been delivered yet is kept: watchers collapse to the latest
// snapshot anyway (docs/API.md), so the queue is bounded by the number of
// tasks with an undelivered change, never by the event rate.
//
// Thread-safe. Subscribe and Unsubscribe go straight to the inner bus.
// Listeners run on the fan-out thread. Stop (or the destructor) delivers
// what is queued, then joins the thread; events published after it are
// dropped, as nobody is left to watch them at shutdown.
#ifndef MEDIAGW_CORE_ASYNC_EVENT_BUS_H_
#define MEDIAGW_CORE_ASYNC_EVENT_BUS_H_

#include <deque>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/event_bus.h"

namespace mediagw {

class AsyncEventBus : public EventBus {
 public:
  // `inner` is not owned and must outlive this.
  explicit AsyncEventBus(EventBus* inner);
  ~AsyncEventBus() override;
  AsyncEventBus(const AsyncEventBus&) = delete;
  AsyncEventBus& operator=(const AsyncEventBus&) = delete;

  SubscriptionId Subscribe(const std::string& task_id,
                           Listener listener) override;
  void Unsubscribe(SubscriptionId id) override;
  // Queues the event and returns at once.
  void Publish(const v1::Task& task, int64_t version) override;

  // Events queued and not yet delivered (for tests and metrics).
  size_t Pending() const;
  // See above. Idempotent; never call it from a listener.
  void Stop();

 private:
  struct Event {
    v1::Task task;
    int64_t version = 0;
  };
  void Loop();
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  EventBus* const inner_;
  mutable absl::Mutex mu_;
  // Task ids in the order their oldest undelivered event arrived, and the
  // latest event of each.
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Event> latest_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
  absl::Mutex join_mu_;  // serialises Stop's join
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_ASYNC_EVENT_BUS_H_
