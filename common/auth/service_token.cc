#include "common/auth/service_token.h"

#include "common/auth/jwt.h"

namespace bdtx::auth {

absl::StatusOr<std::string> ServiceToken::Get() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  if (now + absl::Minutes(5) < expires_) return token_;
  Claims claims;
  claims.subject = "services/" + service_;
  claims.issuer = claims.audience = "bdtx";
  claims.issued_at = claims.not_before = now;
  claims.expires_at = now + absl::Hours(1);
  auto token = MintJwt(claims, {JwtAlgorithm::kHs256, secret_});
  if (!token.ok()) return token.status();
  token_ = *std::move(token);
  expires_ = claims.expires_at;
  return token_;
}

}  // namespace bdtx::auth
