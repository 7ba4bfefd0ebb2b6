// JSON of the webhook visibility routes (docs/API.md "Webhooks"):
// GET /v1/tasks/{id}/webhooks and POST /v1/tasks/{id}/webhooks/replay.
// Pure functions; thread-safe.
#ifndef MEDIAGW_GATEWAY_WEBHOOKS_CODEC_H_
#define MEDIAGW_GATEWAY_WEBHOOKS_CODEC_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "core/webhook_store.h"

namespace mediagw::gateway {

// {"taskId","webhookId","url","event","state","attemptCount",
//  "createTime","nextAttemptTime","giveUpTime","attempts":[{"time",
//  "durationMs","statusCode","error","outcome","nextAttemptTime"}]}, times
// RFC 3339 UTC, null where they do not apply (nextAttemptTime unless
// pending; statusCode without a reply; error with one). Without a delivery
// (the task has not ended, has no URL, or its end is filtered out):
// {"taskId", "state":"none", "attempts":[]}.
std::string EncodeWebhookHistory(absl::string_view task_id,
                                 const std::optional<WebhookHistory>& history);

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_WEBHOOKS_CODEC_H_
