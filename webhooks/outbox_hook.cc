#include "webhooks/outbox_hook.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/state_machine.h"
#include "google/protobuf/util/time_util.h"
#include "webhooks/webhook_payload.h"

namespace mediagw::webhooks {

OutboxHook::OutboxHook(Deps deps, absl::Duration max_retry)
    : deps_(std::move(deps)), max_retry_(max_retry) {}

std::string OutboxHook::MessageId(const std::string& task_id) {
  return absl::StrCat("msg_", task_id);
}

std::string OutboxHook::UrlFor(const TaskRecord& next) const {
  const absl::string_view event = EventFor(next.task().state());
  const auto& filter = next.request().webhook_events();
  if (!filter.empty() &&
      std::find(filter.begin(), filter.end(), event) == filter.end()) {
    return "";
  }
  if (!next.request().webhook_url().empty()) {
    return next.request().webhook_url();
  }
  return deps_.default_url ? deps_.default_url(next.owner()) : "";
}

absl::Status OutboxHook::AddRows(const TaskRecord* before, TaskRecord* next,
                                 SideRows* rows) {
  // Only the one change that ends a task reports it.
  if (before == nullptr || IsTerminal(before->task().state()) ||
      !IsTerminal(next->task().state())) {
    return absl::OkStatus();
  }
  std::string url = UrlFor(*next);
  if (url.empty()) return absl::OkStatus();
  const absl::Time now = deps_.clock->Now();
  OutboxRow row;
  row.id = MessageId(next->task().id());
  row.task_id = next->task().id();
  row.account_id = next->owner();
  row.url = std::move(url);
  row.event = std::string(EventFor(next->task().state()));
  // A kie callBackUrl gets kie's shape; an account default URL does not.
  row.kie_format = next->webhook_kie_format() &&
                   row.url == next->request().webhook_url() &&
                   static_cast<bool>(deps_.kie_body);
  // The body is the task as this change leaves it (with what the other
  // hooks, e.g. the charged credits, filled in before this one). The
  // writer stamps update_time after the hooks ran; an end is always a
  // visible change, so it is stamped here the same way.
  v1::Task task = next->task();
  task.set_version(next->version());  // as GetTask serves it
  *task.mutable_update_time() = google::protobuf::util::TimeUtil::
      NanosecondsToTimestamp(absl::ToUnixNanos(now));
  row.body = row.kie_format ? deps_.kie_body(task) : StandardBody(task);
  row.created_at_us = absl::ToUnixMicros(now);
  row.give_up_at_us = absl::ToUnixMicros(now + max_retry_);
  rows->outbox.push_back(std::move(row));
  return absl::OkStatus();
}

void OutboxHook::Committed(const TaskRecord* before, const TaskRecord& next) {
  if (before == nullptr || IsTerminal(before->task().state()) ||
      !IsTerminal(next.task().state()) || !deps_.committed) {
    return;
  }
  deps_.committed();
}

}  // namespace mediagw::webhooks
