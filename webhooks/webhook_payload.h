// What a webhook delivery says (docs/API.md "Webhooks"): which terminal
// states report as which event, and the Standard Webhooks event body.
// Pure functions; thread-safe.
#ifndef MEDIAGW_WEBHOOKS_WEBHOOK_PAYLOAD_H_
#define MEDIAGW_WEBHOOKS_WEBHOOK_PAYLOAD_H_

#include <string>

#include "absl/strings/string_view.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw::webhooks {

// "completed" (SUCCEEDED), "failed", "canceled", "timed_out"; "" for a
// state that is not terminal.
absl::string_view EventFor(v1::TaskState state);

// {"type":"task.<event>","timestamp":"<RFC 3339>","data":<the Task as proto
// JSON, every field printed, as GET /v1/tasks/{id} answers it>}.
// `timestamp` is the task's end time (its update time when unset).
std::string StandardBody(const v1::Task& task);

}  // namespace mediagw::webhooks

#endif  // MEDIAGW_WEBHOOKS_WEBHOOK_PAYLOAD_H_
