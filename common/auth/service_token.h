// A service's own identity for calls to other services: an HS256 token for
// "services/{name}", minted from the shared key and renewed before it expires.
#ifndef BDTX_COMMON_AUTH_SERVICE_TOKEN_H_
#define BDTX_COMMON_AUTH_SERVICE_TOKEN_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"

namespace bdtx::auth {

// Thread-safe.
class ServiceToken {
 public:
  ServiceToken(std::string service, std::string hs256_secret, const Clock* clock)
      : service_(std::move(service)), secret_(std::move(hs256_secret)), clock_(clock) {}
  // A token valid for at least five more minutes.
  absl::StatusOr<std::string> Get();
  // The services' shared HS256 key (also keys attachment receipts, ADR 013).
  const std::string& secret() const { return secret_; }

 private:
  const std::string service_;
  const std::string secret_;
  const Clock* const clock_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time expires_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace bdtx::auth

#endif  // BDTX_COMMON_AUTH_SERVICE_TOKEN_H_
