#include "common/crypto/password.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace bdtx {
namespace {
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

void RandomBytes(unsigned char* out, size_t n) {
  // RAND_bytes fails only when the OS entropy source does; nothing sound can go on.
  if (RAND_bytes(out, static_cast<int>(n)) != 1) std::abort();
}
}  // namespace

absl::StatusOr<std::string> HashPassword(absl::string_view password, const Argon2Params& params) {
  unsigned char salt[kSaltBytes];
  RandomBytes(salt, sizeof salt);
  const size_t len = argon2_encodedlen(params.time_cost, params.memory_kib, params.parallelism,
                                       kSaltBytes, kHashBytes, Argon2_id);
  std::string encoded(len, '\0');
  const int rc = argon2id_hash_encoded(params.time_cost, params.memory_kib, params.parallelism,
                                       password.data(), password.size(), salt, sizeof salt,
                                       kHashBytes, encoded.data(), encoded.size());
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR) {
    return absl::InternalError("argon2id: not enough memory");
  }
  if (rc != ARGON2_OK) {
    return absl::InvalidArgumentError(absl::StrCat("argon2id: ", argon2_error_message(rc)));
  }
  encoded.resize(encoded.find('\0') == std::string::npos ? encoded.size() : encoded.find('\0'));
  return encoded;
}

bool VerifyPassword(absl::string_view password, absl::string_view encoded) {
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
  const std::string z(encoded);  // argon2_verify wants a NUL-terminated string
  // libargon2 recomputes the hash and compares with its own constant-time compare.
  return argon2id_verify(z.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string RandomToken(int bytes) {
  std::vector<unsigned char> raw(bytes);
  RandomBytes(raw.data(), raw.size());
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

std::string RandomCode(int length) {
  static constexpr char kAlphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";  // 31 symbols
  constexpr unsigned kSize = sizeof kAlphabet - 1;
  std::string out;
  while (static_cast<int>(out.size()) < length) {
    unsigned char b;
    RandomBytes(&b, 1);
    if (b >= 256 - 256 % kSize) continue;  // rejection sampling: no modulo bias
    out.push_back(kAlphabet[b % kSize]);
  }
  return out;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace bdtx
