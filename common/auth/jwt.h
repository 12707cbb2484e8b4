// JSON Web Tokens (RFC 7519) for bdtx: minting (for bdtxctl and tests) and
// verification (for every service). HS256 and RS256, signatures by OpenSSL.
// Tokens are secrets: never log them, never put them in error messages.
#ifndef BDTX_COMMON_AUTH_JWT_H_
#define BDTX_COMMON_AUTH_JWT_H_

#include <memory>
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
  std::string key_id;  // "kid" in the header when set (OpenID Connect issuers, tests)
};

// Single sign-on (issue 18, ADR 015): RS256 tokens of an OpenID Connect issuer, verified
// with the key its JWKS (RFC 7517) names by the token's "kid".
struct OidcOptions {
  std::string issuer;     // required "iss" of its tokens
  std::string audience;   // required "aud" (the client id bdtx has at the issuer)
  std::string jwks_file;  // {"keys":[{"kty":"RSA","kid":...,"n":...,"e":...}]}
  // The claim holding the bdtx person id ("people/{id}" or the bare id); the issuer is
  // configured to send it. Roles never come from these tokens: the directory's do.
  std::string person_claim = "bdtx_person";
  // An unknown kid re-reads the file (key rotation needs no restart), at most this often.
  absl::Duration reload_interval = absl::Minutes(1);
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
    OidcOptions oidc;                           // used when oidc.jwks_file is set
  };

  // INVALID_ARGUMENT when no key is configured, the secret is short, the PEM is bad or
  // the JWKS file cannot be read or holds no usable RSA key.
  static absl::StatusOr<JwtVerifier> Create(Options options);

  // Verifies signature, alg (none and unknown algorithms are rejected), iss, aud, exp
  // and nbf. An RS256 token with a "kid" is an OIDC token: its key must be in the JWKS
  // (an unknown kid is refused), its iss/aud are the issuer's, its subject the person
  // claim. Every failure is UNAUTHENTICATED with a reason that never quotes the token.
  absl::StatusOr<Claims> Verify(absl::string_view token, absl::Time now) const;

  // The exp/nbf part of Verify, for claims verified earlier.
  absl::Status CheckTimes(const Claims& claims, absl::Time now) const;

 private:
  class Jwks;
  explicit JwtVerifier(Options options);
  absl::StatusOr<Claims> VerifyOidc(absl::string_view kid, absl::string_view signing_input,
                                    absl::string_view signature, absl::string_view payload_json,
                                    absl::Time now) const;
  Options options_;
  std::shared_ptr<Jwks> jwks_;  // shared by copies; thread-safe
};

// Reads a key file (HS256 secret bytes, or PEM). Missing/empty files are errors naming
// the path.
absl::StatusOr<std::string> ReadKeyFile(const std::string& path);

// Returns the HS256 secret in `path`, creating a random 32-byte one (mode 0600) when the
// file does not exist: local development needs no configuration.
absl::StatusOr<std::string> ReadOrCreateDevKey(const std::string& path);

}  // namespace bdtx::auth

#endif  // BDTX_COMMON_AUTH_JWT_H_
