// Injectable time. Domain code never reads a clock; adapters pass `now` in, and tests
// drive a SimulatedClock.
#ifndef BDTX_COMMON_CLOCK_CLOCK_H_
#define BDTX_COMMON_CLOCK_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace bdtx {

// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock. A process-wide instance: never delete it.
Clock& RealClock();

// A clock that moves only when told to. Thread-safe.
class SimulatedClock : public Clock {
 public:
  explicit SimulatedClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override;
  void Advance(absl::Duration d);
  void Set(absl::Time t);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bdtx

#endif  // BDTX_COMMON_CLOCK_CLOCK_H_
