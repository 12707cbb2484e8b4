// SHA-256 (OpenSSL) as lowercase hex: content hashes of imports, submitted documents
// and evidence files.
#ifndef BDTX_COMMON_CRYPTO_SHA256_H_
#define BDTX_COMMON_CRYPTO_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace bdtx {

std::string Sha256Hex(absl::string_view data);

// HMAC-SHA256 of `data` with `key`, lowercase hex (webhook signatures).
std::string HmacSha256Hex(absl::string_view key, absl::string_view data);

}  // namespace bdtx

#endif  // BDTX_COMMON_CRYPTO_SHA256_H_
