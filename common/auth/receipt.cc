#include "common/auth/receipt.h"

#include <openssl/crypto.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"

namespace bdtx::auth {

std::string AttachmentReceipt(absl::string_view secret, absl::string_view document,
                              absl::string_view sha256) {
  // A purpose prefix keeps receipts apart from every other HMAC made with this key.
  return HmacSha256Hex(secret, absl::StrCat("bdtx-attachment-receipt/v1\n", document, "\n",
                                            absl::AsciiStrToLower(sha256)));
}

bool VerifyAttachmentReceipt(absl::string_view secret, absl::string_view document,
                             absl::string_view sha256, absl::string_view receipt) {
  const std::string expected = AttachmentReceipt(secret, document, sha256);
  return receipt.size() == expected.size() &&
         CRYPTO_memcmp(expected.data(), receipt.data(), expected.size()) == 0;
}

}  // namespace bdtx::auth
