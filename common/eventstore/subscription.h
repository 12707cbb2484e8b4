// A catch-up subscription over any EventStore: replays from a global position, then
// follows new events as they are committed.
#ifndef BDTX_COMMON_EVENTSTORE_SUBSCRIPTION_H_
#define BDTX_COMMON_EVENTSTORE_SUBSCRIPTION_H_

#include <atomic>
#include <vector>

#include "common/eventstore/event_store.h"

namespace bdtx::eventstore {

// Next() is for one consumer thread; Cancel() may be called from any thread.
// The store must outlive the subscription.
//
// Example:
//   Subscription sub(&store, checkpoint + 1);
//   while (true) {
//     ASSIGN_OR_RETURN(auto events, sub.Next(absl::Seconds(1)));
//     for (const auto& e : events) Handle(e);       // empty: nothing new yet
//     SaveCheckpoint(sub.next_position() - 1);
//   }
class Subscription {
 public:
  // REQUIRES: from_position >= 1, batch_size > 0.
  Subscription(EventStore* store, int64_t from_position, int batch_size = 512)
      : store_(store), next_position_(from_position), batch_size_(batch_size) {}

  // The next events in global order (at most batch_size). Blocks up to `timeout` when
  // there are none and then returns an empty vector. CANCELLED after Cancel().
  absl::StatusOr<std::vector<EventEnvelope>> Next(absl::Duration timeout);

  // Position of the next event Next() will return.
  int64_t next_position() const { return next_position_; }

  // Makes a blocked or later Next() return CANCELLED.
  void Cancel();

 private:
  EventStore* const store_;
  int64_t next_position_;
  const int batch_size_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace bdtx::eventstore

#endif  // BDTX_COMMON_EVENTSTORE_SUBSCRIPTION_H_
