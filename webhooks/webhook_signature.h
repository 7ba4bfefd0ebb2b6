// Webhook signatures (docs/API.md "Webhooks").
//
// Standard Webhooks (https://www.standardwebhooks.com): the secret is
// "whsec_" + base64 of the key bytes; a signature is "v1," + base64 of
// HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>"). During a
// secret rotation the header carries one signature per secret, separated
// by spaces.
//
// kie callbacks (docs/PROVIDERS.md, seed 002): X-Webhook-Signature is
// base64 of HMAC-SHA256(key, "<taskId>.<X-Webhook-Timestamp>"), keyed with
// the account's whole current secret ("whsec_..." as RotateWebhookSecret
// showed it), as kie keys it with the text a user copied.
// Pure functions; thread-safe.
#ifndef MEDIAGW_WEBHOOKS_WEBHOOK_SIGNATURE_H_
#define MEDIAGW_WEBHOOKS_WEBHOOK_SIGNATURE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw::webhooks {

// "v1,<base64>". INVALID_ARGUMENT when `secret` is not "whsec_" followed by
// non-empty base64.
absl::StatusOr<std::string> StandardSignature(absl::string_view secret,
                                              absl::string_view id,
                                              int64_t timestamp,
                                              absl::string_view body);

// The webhook-signature header: one signature per usable secret (newest
// first), space-separated. A secret that does not decode is skipped;
// INVALID_ARGUMENT when none is usable.
absl::StatusOr<std::string> SignatureHeader(
    const std::vector<std::string>& secrets, absl::string_view id,
    int64_t timestamp, absl::string_view body);

// kie's X-Webhook-Signature value.
std::string KieSignature(absl::string_view secret, absl::string_view task_id,
                         int64_t timestamp);

}  // namespace mediagw::webhooks

#endif  // MEDIAGW_WEBHOOKS_WEBHOOK_SIGNATURE_H_
