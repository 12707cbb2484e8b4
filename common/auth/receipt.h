// Attachment receipts (ADR 013): plans proves to approvals, through the client, that it
// stored a file with a given sha256 for a given document. A receipt is an HMAC-SHA256
// of both under the services' shared HS256 key, so approvals checks it without a call
// to plans (approvals cannot call plans: plans calls approvals, and neither may start
// knowing the other's address first). Pure functions; thread-safe.
#ifndef BDTX_COMMON_AUTH_RECEIPT_H_
#define BDTX_COMMON_AUTH_RECEIPT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace bdtx::auth {

// 64 lowercase hex digits. `document` is "documents/{id}", `sha256` 64 hex digits.
std::string AttachmentReceipt(absl::string_view secret, absl::string_view document,
                              absl::string_view sha256);

// True when `receipt` is the receipt of (document, sha256) under `secret`; compares in
// constant time.
bool VerifyAttachmentReceipt(absl::string_view secret, absl::string_view document,
                             absl::string_view sha256, absl::string_view receipt);

}  // namespace bdtx::auth

#endif  // BDTX_COMMON_AUTH_RECEIPT_H_
