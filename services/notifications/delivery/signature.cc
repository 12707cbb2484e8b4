#include "services/notifications/delivery/signature.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/sha256.h"

namespace bdtx::notifications {
namespace {

constexpr absl::string_view kPrefix = "whsec_";

std::string Signature(absl::string_view key, absl::string_view id, absl::string_view timestamp,
                      absl::string_view body) {
  const std::string raw =
      absl::HexStringToBytes(HmacSha256Hex(key, absl::StrCat(id, ".", timestamp, ".", body)));
  return absl::StrCat("v1,", absl::Base64Escape(raw));
}

}  // namespace

absl::StatusOr<std::string> WebhookKey(absl::string_view secret) {
  if (!absl::StartsWith(secret, kPrefix)) {
    if (secret.size() < 16) {
      return absl::InvalidArgumentError("khoá bí mật webhook cần ít nhất 16 byte (dùng whsec_...)");
    }
    return std::string(secret);
  }
  std::string key;
  if (!absl::Base64Unescape(secret.substr(kPrefix.size()), &key) || key.size() < 16) {
    return absl::InvalidArgumentError(
        "khoá whsec_ phải là base64 của ít nhất 16 byte (ví dụ whsec_ + 32 byte ngẫu nhiên)");
  }
  return key;
}

std::string GenerateWebhookSecret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // no entropy: nothing is safe
  return absl::StrCat(kPrefix,
                      absl::Base64Escape(absl::string_view(reinterpret_cast<char*>(bytes), 32)));
}

std::string SignWebhook(const std::vector<std::string>& secrets, absl::string_view id,
                        absl::string_view timestamp, absl::string_view body) {
  std::string out;
  for (const std::string& secret : secrets) {
    absl::StatusOr<std::string> key = WebhookKey(secret);
    if (!key.ok()) continue;
    absl::StrAppend(&out, out.empty() ? "" : " ", Signature(*key, id, timestamp, body));
  }
  return out;
}

bool VerifyWebhook(absl::string_view secret, absl::string_view id, absl::string_view timestamp,
                   absl::string_view body, absl::string_view signature_header) {
  absl::StatusOr<std::string> key = WebhookKey(secret);
  if (!key.ok()) return false;
  const std::string expected = Signature(*key, id, timestamp, body);
  bool found = false;
  for (absl::string_view sig : absl::StrSplit(signature_header, ' ', absl::SkipEmpty())) {
    found |= sig.size() == expected.size() &&
             CRYPTO_memcmp(sig.data(), expected.data(), expected.size()) == 0;
  }
  return found;
}

}  // namespace bdtx::notifications
