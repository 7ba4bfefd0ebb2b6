// Channel choice: the concurrency slots a task takes (core/channel_slots.h)
// and the hooks into upstream health: circuit breakers decide which
// channels a task may go to, submit and poll outcomes feed them, and the
// retry budget bounds failovers, resumes and repeated output downloads. The
// rules themselves live in core/channel_slots, core/breaker_board and
// core/retry_budget.
#include <algorithm>
#include <memory>
#include <string>

#include "core/dispatcher.h"
#include "core/dispatcher_internal.h"

namespace mediagw {

bool Dispatcher::ChannelLooksHealthy(const Channel& channel) const {
  return deps_.breakers == nullptr ||
         deps_.breakers->WouldAdmitChannel(channel.name);
}

bool Dispatcher::AdmitToChannel(std::shared_ptr<Active> a,
                                const Channel& channel) {
  if (deps_.breakers == nullptr) return TakeChannelSlot(a, channel);
  if (!deps_.breakers->AdmitChannel(channel.name)) return false;
  if (TakeChannelSlot(a, channel)) return true;
  // Full after all: the admitted call (perhaps the probe) is not made.
  deps_.breakers->ReleaseChannel(channel.name);
  return false;
}

void Dispatcher::RecordSubmitOutcome(const std::string& channel,
                                     const absl::Status& status) {
  if (deps_.breakers != nullptr && !channel.empty()) {
    deps_.breakers->RecordChannel(channel, status);
  }
}

void Dispatcher::RecordPollOutcome(const std::string& channel,
                                   const absl::Status& status) {
  // Any answer (queued, running, failed, not found) is the upstream alive;
  // only a transport or 5xx/429 error counts against it.
  RecordSubmitOutcome(channel, status);
}

void Dispatcher::CountFirstCall() {
  if (deps_.retry_budget != nullptr) deps_.retry_budget->RecordCall();
}

bool Dispatcher::TakeRetry() {
  return deps_.retry_budget == nullptr || deps_.retry_budget->TryRetry();
}

absl::Duration Dispatcher::RetryBackoff(int attempt,
                                        const absl::Status& status) const {
  return RetryDelay(std::max(0, attempt), options_.poll_interval,
                    std::max(options_.poll_interval, options_.max_poll_backoff),
                    status);
}

bool Dispatcher::TakeChannelSlot(std::shared_ptr<Active> a,
                                 const Channel& channel) {
  // Under the task's lock: a task retired meanwhile (finished, cancelled,
  // timed out while it waited for a slot) must not take one, as nothing
  // would give it back.
  absl::MutexLock l(&a->mu);
  if (a->retired) return false;
  return slots_.Take(a->record_id, channel);
}

bool Dispatcher::IsRetired(const std::shared_ptr<Active>& a) {
  absl::MutexLock l(&a->mu);
  return a->retired;
}

void Dispatcher::ReleaseChannelSlot(std::shared_ptr<Active> a) {
  slots_.Release(a->record_id);
}

}  // namespace mediagw
