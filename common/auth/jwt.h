// JSON Web Tokens (RFC 7519) for bdtx: minting (for bdtxctl and tests) and
// verification (for every service). HS256 and RS256, signatures by OpenSSL.
// Tokens are secrets: never log them, never put them in error messages.
#ifndef BDTX_COMMON_AUTH_JWT_H_
#define BDTX_COMMON_AUTH_JWT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace bdtx::auth {

struct Claims {
  std::string subject;             // "people/{id}" or "services/{name}"
  std::vector<std::string> roles;  // bdtx.v1.Role names, e.g. "CORE_TEACHER"
  std::string unit;                // "units/{id}", the subject's home unit
  std::string issuer;
  std::string audience;
  absl::Time issued_at = absl::InfinitePast();
  absl::Time not_before = absl::InfinitePast();
  absl::Time expires_at = absl::InfinitePast();
};

enum class JwtAlgorithm { kHs256, kRs256 };

struct SigningKey {
  JwtAlgorithm algorithm = JwtAlgorithm::kHs256;
  // HS256: the shared secret (at least 32 bytes). RS256: a PEM private key.
  std::string material;
};

// Signs `claims`. INVALID_ARGUMENT for a short secret or an unreadable PEM key.
absl::StatusOr<std::string> MintJwt(const Claims& claims, const SigningKey& key);

// Thread-safe after Create().
class JwtVerifier {
 public:
  struct Options {
    std::string issuer = "bdtx";
    std::string audience = "bdtx";
    std::string hs256_secret;                   // accept HS256 tokens signed with this
    std::string rs256_public_key_pem;           // accept RS256 tokens signed by its private key
    absl::Duration leeway = absl::Seconds(30);  // clock skew allowed on exp/nbf
  };

  // INVALID_ARGUMENT when no key is configured, the secret is short or the PEM is bad.
  static absl::StatusOr<JwtVerifier> Create(Options options);

  // Verifies signature, alg (none and unknown algorithms are rejected), iss, aud, exp
  // and nbf. Every failure is UNAUTHENTICATED with a reason that never quotes the token.
  absl::StatusOr<Claims> Verify(absl::string_view token, absl::Time now) const;

  // The exp/nbf part of Verify, for claims verified earlier.
  absl::Status CheckTimes(const Claims& claims, absl::Time now) const;

 private:
  explicit JwtVerifier(Options options) : options_(std::move(options)) {}
  Options options_;
};

// Reads a key file (HS256 secret bytes, or PEM). Missing/empty files are errors naming
// the path.
absl::StatusOr<std::string> ReadKeyFile(const std::string& path);

// Returns the HS256 secret in `path`, creating a random 32-byte one (mode 0600) when the
// file does not exist: local development needs no configuration.
absl::StatusOr<std::string> ReadOrCreateDevKey(const std::string& path);

}  // namespace bdtx::auth

#endif  // BDTX_COMMON_AUTH_JWT_H_
