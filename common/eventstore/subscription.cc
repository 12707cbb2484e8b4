#include "common/eventstore/subscription.h"

namespace bdtx::eventstore {

absl::StatusOr<std::vector<EventEnvelope>> Subscription::Next(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (cancelled_.load()) return absl::CancelledError("subscription cancelled");
    absl::StatusOr<std::vector<EventEnvelope>> events =
        store_->ReadAll(next_position_, batch_size_);
    if (!events.ok()) return events.status();
    if (!events->empty()) {
      next_position_ = events->back().position() + 1;
      return events;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return events;
    store_->WaitForPosition(next_position_ - 1, left);
  }
}

void Subscription::Cancel() {
  cancelled_.store(true);
  store_->WakeWaiters();
}

}  // namespace bdtx::eventstore
