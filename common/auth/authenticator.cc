#include "common/auth/authenticator.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace bdtx::auth {
namespace {

absl::Mutex process_mu(absl::kConstInit);
std::shared_ptr<const Authenticator>* process_authenticator ABSL_GUARDED_BY(process_mu) = nullptr;

}  // namespace

absl::StatusOr<Claims> Authenticator::Authenticate(absl::string_view header) const {
  if (header.empty()) {
    return absl::UnauthenticatedError(
        "thiếu bearer token: hãy gửi metadata 'authorization: Bearer <token>' (lệnh bdtxctl "
        "token mint tạo token)");
  }
  if (!absl::ConsumePrefix(&header, "Bearer ") && !absl::ConsumePrefix(&header, "bearer ")) {
    return absl::UnauthenticatedError("metadata authorization phải có dạng 'Bearer <token>'");
  }
  const absl::Time now = clock_->Now();
  std::optional<Claims> cached;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = cache_.find(header); it != cache_.end()) {
      if (absl::Status s = verifier_.CheckTimes(it->second, now); !s.ok()) return s;
      cached = it->second;
    }
  }
  if (cached.has_value()) {
    if (resolver_ == nullptr) return *std::move(cached);
    return WithCurrentRoles(*std::move(cached));  // outside the lock: it may block
  }
  absl::StatusOr<Claims> claims = verifier_.Verify(header, now);
  if (!claims.ok()) return claims.status();
  {
    absl::MutexLock lock(&mu_);
    if (cache_.size() >= capacity_) cache_.clear();  // crude but bounded
    cache_.emplace(std::string(header), *claims);
  }
  if (resolver_ == nullptr) return claims;
  return WithCurrentRoles(*std::move(claims));
}

absl::StatusOr<Claims> Authenticator::WithCurrentRoles(Claims claims) const {
  // Services and operators are minted only by holders of the signing key and are not
  // people of the directory: their token's roles stand. Any other kind of subject
  // ("People/x", "learners/x", "") would otherwise keep its token's roles unchecked.
  if (absl::StartsWith(claims.subject, "services/") ||
      absl::StartsWith(claims.subject, "operators/")) {
    return claims;
  }
  if (!absl::StartsWith(claims.subject, "people/")) {
    return absl::PermissionDeniedError(
        absl::StrCat("chủ thể của token '", claims.subject,
                     "' không phải people/{id}, services/{name} hay operators/{name}"));
  }
  absl::StatusOr<CurrentRoles> current = resolver_->Resolve(claims.subject);
  if (absl::IsNotFound(current.status())) {
    return absl::PermissionDeniedError(absl::StrCat(
        claims.subject, " không có trong danh bạ (directory): token không còn ứng với ai"));
  }
  if (!current.ok()) {
    return absl::UnavailableError(absl::StrCat("chưa kiểm tra được vai trò hiện thời của ",
                                               claims.subject, ": ", current.status().message()));
  }
  if (current->removed) {
    return absl::PermissionDeniedError(absl::StrCat(
        claims.subject, " đã bị xoá khỏi danh bạ (directory) nên không còn được gọi bdtx"));
  }
  claims.roles = std::move(current->roles);
  claims.unit = std::move(current->unit);
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
