// Webhook signatures per the Standard Webhooks specification
// (https://www.standardwebhooks.com, "Verifying webhooks"): headers
//   webhook-id         the delivery id (the same on every retry: receivers de-duplicate on it)
//   webhook-timestamp  Unix seconds of this attempt
//   webhook-signature  "v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>",
//                      several space-separated during a secret rotation
// Secrets are "whsec_" + base64 of the key bytes. A legacy operator secret without the
// prefix is used as its own bytes (docs/notifications.md says to move to whsec_).
// Thread-safety: pure functions (GenerateWebhookSecret draws from OpenSSL's RAND_bytes).
#ifndef BDTX_SERVICES_NOTIFICATIONS_DELIVERY_SIGNATURE_H_
#define BDTX_SERVICES_NOTIFICATIONS_DELIVERY_SIGNATURE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bdtx::notifications {

// The HMAC key of `secret`. INVALID_ARGUMENT when "whsec_" is followed by bad base64 or
// the key is shorter than 16 bytes.
absl::StatusOr<std::string> WebhookKey(absl::string_view secret);

// A new "whsec_" secret of 32 random bytes.
std::string GenerateWebhookSecret();

// The webhook-signature header value for `body`, one "v1,..." per secret (the first is
// the current one). Secrets must have passed WebhookKey.
std::string SignWebhook(const std::vector<std::string>& secrets, absl::string_view id,
                        absl::string_view timestamp, absl::string_view body);

// What a receiver does: true when one of the signatures in `signature_header` is the
// one `secret` gives for id, timestamp and body (constant-time comparison).
bool VerifyWebhook(absl::string_view secret, absl::string_view id, absl::string_view timestamp,
                   absl::string_view body, absl::string_view signature_header);

}  // namespace bdtx::notifications

#endif  // BDTX_SERVICES_NOTIFICATIONS_DELIVERY_SIGNATURE_H_
