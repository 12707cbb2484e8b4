// Password hashing with Argon2id (RFC 9106) from libargon2 (Debian libargon2-dev), and
// the random secrets and constant-time comparisons of sign-in (ADR 015).
//
// Hashes are PHC strings ("$argon2id$v=19$m=65536,t=3,p=1$salt$hash"): the parameters
// travel with each hash, so they can be raised later and old hashes still verify.
// Thread-safe (no shared state). Hashing blocks for the configured work
// (about 100 ms at the defaults on one core) and allocates `memory_kib`.
#ifndef BDTX_COMMON_CRYPTO_PASSWORD_H_
#define BDTX_COMMON_CRYPTO_PASSWORD_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bdtx {

struct Argon2Params {
  uint32_t time_cost = 3;           // passes (RFC 9106 second recommendation: t=3, 64 MiB)
  uint32_t memory_kib = 64 * 1024;  // 64 MiB
  uint32_t parallelism = 1;
};

// A PHC string with a fresh random 16-byte salt and a 32-byte hash. INTERNAL when
// libargon2 fails (out of memory), INVALID_ARGUMENT for parameters it refuses.
absl::StatusOr<std::string> HashPassword(absl::string_view password, const Argon2Params& params);

// True when `password` matches `encoded` (a PHC string from HashPassword, any
// parameters). False for a wrong password or a malformed hash. Compares in constant time.
bool VerifyPassword(absl::string_view password, absl::string_view encoded);

// `bytes` random bytes from OpenSSL's CSPRNG, base64url without padding.
std::string RandomToken(int bytes);

// A code a person can type: `length` characters from an alphabet without look-alikes
// (no 0/O, 1/I/L), uniformly chosen from the CSPRNG.
std::string RandomCode(int length);

// Equality that takes the same time wherever the strings differ (CRYPTO_memcmp);
// strings of different lengths are unequal (the length is not secret).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace bdtx

#endif  // BDTX_COMMON_CRYPTO_PASSWORD_H_
