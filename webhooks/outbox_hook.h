// The webhooks hook on the one transition path (core/task_writer.h): the
// change that ends a task writes the outbox row of its webhook in the same
// store transaction, so a delivery is never lost to a crash and never
// invented for a change that did not commit (docs/API.md "Webhooks").
//
// A row is written only when the task has a URL (its request's
// webhook_url, else its account's default URL) and the end passes the
// request's webhook_events filter (empty = every end).
//
// Thread-safe (its state is immutable; the callbacks must be thread-safe).
#ifndef MEDIAGW_WEBHOOKS_OUTBOX_HOOK_H_
#define MEDIAGW_WEBHOOKS_OUTBOX_HOOK_H_

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "common/clock.h"
#include "core/task_writer.h"

namespace mediagw::webhooks {

class OutboxHook : public TransitionRows {
 public:
  struct Deps {
    // The account's default webhook URL ("" for none). Must not block (the
    // AccountBook answers from memory).
    std::function<std::string(const std::string& account)> default_url;
    // The body of a kie callBackUrl task's delivery (its callback shape);
    // unset: such tasks get the Standard Webhooks body.
    std::function<std::string(const v1::Task&)> kie_body;
    // Told after a row committed (wakes the sender); may be unset. Runs on
    // the store's writer thread: must not block.
    std::function<void()> committed;
    const Clock* clock;  // not owned
  };
  OutboxHook(Deps deps, absl::Duration max_retry);

  absl::Status AddRows(const TaskRecord* before, TaskRecord* next,
                       SideRows* rows) override;
  void Committed(const TaskRecord* before, const TaskRecord& next) override;

  // The webhook-id of a task's delivery: "msg_" + the task id (a task ends
  // once, so it is unique; retries and replays keep it).
  static std::string MessageId(const std::string& task_id);

 private:
  // The URL a task's end is reported to, or "" when none is due.
  std::string UrlFor(const TaskRecord& next) const;

  const Deps deps_;
  const absl::Duration max_retry_;
};

}  // namespace mediagw::webhooks

#endif  // MEDIAGW_WEBHOOKS_OUTBOX_HOOK_H_
