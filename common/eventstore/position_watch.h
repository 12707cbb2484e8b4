// Lets readers wait for the global position to pass a value. Internal to the stores.
#ifndef BDTX_COMMON_EVENTSTORE_POSITION_WATCH_H_
#define BDTX_COMMON_EVENTSTORE_POSITION_WATCH_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace bdtx::eventstore {

// Thread-safe.
class PositionWatch {
 public:
  explicit PositionWatch(int64_t position = 0) : position_(position) {}

  int64_t Get() const {
    absl::MutexLock lock(&mu_);
    return position_;
  }

  // REQUIRES: position >= Get().
  void Publish(int64_t position) {
    absl::MutexLock lock(&mu_);
    position_ = position;
  }

  int64_t Wait(int64_t after, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    const uint64_t generation = generation_;
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return position_ > after || closed_ || generation_ != generation;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    return position_;
  }

  void WakeAll() {
    absl::MutexLock lock(&mu_);
    ++generation_;
  }

  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

 private:
  mutable absl::Mutex mu_;
  int64_t position_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace bdtx::eventstore

#endif  // BDTX_COMMON_EVENTSTORE_POSITION_WATCH_H_
