// Turns the `authorization` metadata of a call into verified claims, with a bounded
// cache of tokens already verified (a client reuses its token for many calls, so the
// signature and JSON work is done once per token, not once per call; expiry is still
// checked on every call). With a RolesResolver (every service process, ADR 012) the roles
// and unit of a person come from the directory now, not from the token.
#ifndef BDTX_COMMON_AUTH_AUTHENTICATOR_H_
#define BDTX_COMMON_AUTH_AUTHENTICATOR_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/current_roles.h"
#include "common/auth/jwt.h"
#include "common/clock/clock.h"

namespace bdtx::auth {

// Thread-safe.
class Authenticator {
 public:
  // `clock` is not owned and must outlive this object.
  Authenticator(JwtVerifier verifier, const Clock* clock, size_t cache_capacity = 100'000)
      : verifier_(std::move(verifier)), clock_(clock), capacity_(cache_capacity) {}

  // `header` is the metadata value, "Bearer <token>". UNAUTHENTICATED with a reason
  // (never the token) when it is missing, malformed or invalid. With a resolver, a
  // person's ("people/{id}") roles and unit are replaced by the directory's current ones:
  // PERMISSION_DENIED when the directory does not know them or they were removed,
  // UNAVAILABLE when it cannot be asked. Blocks only when the resolver's cache misses
  // (one directory round trip: once per person after each import).
  absl::StatusOr<Claims> Authenticate(absl::string_view header) const;

  // REQUIRES: before the first Authenticate. Not owned; must outlive this object.
  void SetRolesResolver(RolesResolver* resolver) { resolver_ = resolver; }
  // True when Authenticate may wait on a directory round trip (a cache miss).
  bool MayBlock() const { return resolver_ != nullptr && resolver_->MayBlock(); }

 private:
  absl::StatusOr<Claims> WithCurrentRoles(Claims claims) const;

  const JwtVerifier verifier_;
  RolesResolver* resolver_ = nullptr;
  const Clock* const clock_;
  const size_t capacity_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, Claims> cache_ ABSL_GUARDED_BY(mu_);
};

// The authenticator SubjectFromContext uses. The server bootstrap installs it once,
// before serving; tests may install their own.
void SetProcessAuthenticator(std::shared_ptr<const Authenticator> authenticator);
std::shared_ptr<const Authenticator> ProcessAuthenticator();

}  // namespace bdtx::auth

#endif  // BDTX_COMMON_AUTH_AUTHENTICATOR_H_
