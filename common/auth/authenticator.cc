#include "common/auth/authenticator.h"

#include "absl/strings/strip.h"

namespace bdtx::auth {
namespace {

absl::Mutex process_mu(absl::kConstInit);
std::shared_ptr<const Authenticator>* process_authenticator ABSL_GUARDED_BY(process_mu) = nullptr;

}  // namespace

absl::StatusOr<Claims> Authenticator::Authenticate(absl::string_view header) const {
  if (header.empty()) {
    return absl::UnauthenticatedError(
        "missing bearer token: send 'authorization: Bearer <token>' metadata (bdtxctl token "
        "mint makes one)");
  }
  if (!absl::ConsumePrefix(&header, "Bearer ") && !absl::ConsumePrefix(&header, "bearer ")) {
    return absl::UnauthenticatedError("authorization metadata must be 'Bearer <token>'");
  }
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    if (auto it = cache_.find(header); it != cache_.end()) {
      if (absl::Status s = verifier_.CheckTimes(it->second, now); !s.ok()) return s;
      return it->second;
    }
  }
  absl::StatusOr<Claims> claims = verifier_.Verify(header, now);
  if (!claims.ok()) return claims.status();
  absl::MutexLock lock(&mu_);
  if (cache_.size() >= capacity_) cache_.clear();  // crude but bounded
  cache_.emplace(std::string(header), *claims);
  return claims;
}

void SetProcessAuthenticator(std::shared_ptr<const Authenticator> authenticator) {
  absl::MutexLock lock(&process_mu);
  delete process_authenticator;
  process_authenticator = new std::shared_ptr<const Authenticator>(std::move(authenticator));
}

std::shared_ptr<const Authenticator> ProcessAuthenticator() {
  absl::MutexLock lock(&process_mu);
  return process_authenticator ? *process_authenticator : nullptr;
}

}  // namespace bdtx::auth
