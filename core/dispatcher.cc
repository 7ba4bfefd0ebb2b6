// The dispatcher's frame: construction, shutdown and lookups. Its jobs live
// in files of their own: admission (dispatcher_admission.cc), channel choice
// (dispatcher_channels.cc, core/channel_slots.h), the per-task writer
// (dispatcher_writer.cc) and the phase handlers (dispatcher_submit.cc,
// dispatcher_poll.cc, dispatcher_outputs.cc, dispatcher_control.cc) and the
// overdue backlog sweep (dispatcher_overdue.cc).
#include "core/dispatcher.h"

#include <utility>
#include <vector>

#include "core/dispatcher_internal.h"

namespace mediagw {

Dispatcher::Dispatcher(DispatcherDeps deps, DispatcherOptions options)
    : deps_(deps),
      options_(std::move(options)),
      fetch_slots_(options_.fetch_parallel, deps_.executor) {}

Dispatcher::~Dispatcher() { Shutdown(); }

void Dispatcher::Shutdown() {
  if (stopping_.exchange(true)) return;
  // No provider event may reach the dispatcher once Shutdown returns: what
  // it uses (the store, the scheduler, the dispatcher itself) may be
  // destroyed next, while the router and its push threads live on.
  for (const Channel& c : deps_.router->AllChannels()) {
    if (c.provider != nullptr) c.provider->StopPush();
  }
  std::vector<Scheduler::TimerId> timers;
  {
    absl::MutexLock l(&mu_);
    if (overdue_timer_) timers.push_back(overdue_timer_);
    overdue_timer_ = 0;
    for (auto& [id, a] : active_) {
      absl::MutexLock task_lock(&a->mu);
      if (a->poll_timer) timers.push_back(a->poll_timer);
      if (a->deadline_timer) timers.push_back(a->deadline_timer);
      a->poll_timer = a->deadline_timer = 0;
      for (Scheduler::TimerId t : a->TakeTimers()) timers.push_back(t);
    }
  }
  for (auto t : timers) deps_.scheduler->Cancel(t);
}

size_t Dispatcher::ActiveCount() const {
  absl::MutexLock l(&mu_);
  return active_.size();
}

size_t Dispatcher::WaitingCount() const {
  int64_t n = waiting_.load(std::memory_order_relaxed);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

std::shared_ptr<Dispatcher::Active> Dispatcher::Find(
    const std::string& task_id) const {
  absl::MutexLock l(&mu_);
  auto it = active_.find(task_id);
  return it == active_.end() ? nullptr : it->second;
}


}  // namespace mediagw
