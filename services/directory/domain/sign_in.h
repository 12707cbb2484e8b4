// Sign-in rules (ADR 015), pure: lockout after repeated failures and the password
// policy. No clock, no store: the caller passes `now` and persists the counters.
#ifndef BDTX_SERVICES_DIRECTORY_DOMAIN_SIGN_IN_H_
#define BDTX_SERVICES_DIRECTORY_DOMAIN_SIGN_IN_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bdtx/v1/sessions.pb.h"

namespace bdtx::directory {

struct LockoutPolicy {
  int max_failures = 5;  // in `window` ...
  absl::Duration window = absl::Minutes(15);
  absl::Duration lock = absl::Minutes(15);  // ... locks for this long
};
// Per account: 5 in 15 min. Per client address (many people behind one school NAT, and
// an attacker trying one password on many accounts): 50 in 15 min.
inline constexpr LockoutPolicy kAccountLockout{};
inline constexpr LockoutPolicy kAddressLockout{.max_failures = 50};

// How long `counter` is still locked at `now` (zero when it is not).
absl::Duration LockedFor(const bdtx::v1::FailureCounter& counter, absl::Time now);

// Records one failure at `now`: drops failures older than the window, and locks the
// counter when it reaches the policy's maximum (the failures are then forgotten, so the
// next lock needs as many new failures).
void RecordFailure(bdtx::v1::FailureCounter* counter, absl::Time now, const LockoutPolicy& policy);

// RESOURCE_EXHAUSTED in Vietnamese naming the wait in minutes, with a RetryInfo detail.
absl::Status LockedError(absl::Duration wait);

// The password policy (NIST SP 800-63B: length, not composition rules): 10 to 128
// characters, not the username or e-mail itself. INVALID_ARGUMENT in Vietnamese.
absl::Status CheckNewPassword(absl::string_view password, absl::string_view code,
                              absl::string_view email);

}  // namespace bdtx::directory

#endif  // BDTX_SERVICES_DIRECTORY_DOMAIN_SIGN_IN_H_
