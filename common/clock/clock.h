// Injectable time. Domain code never reads a clock; adapters pass `now` in, and tests
// drive a SimulatedClock.
#ifndef BDTX_COMMON_CLOCK_CLOCK_H_
#define BDTX_COMMON_CLOCK_CLOCK_H_

#include <string>

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

// Test clock for real processes: the time written in `path` (RFC 3339, e.g.
// "2023-10-02T10:00:00+07:00"), read at every Now(), so an end-to-end test moves the
// clock of a running service by rewriting the file. While the file is missing or does
// not parse, the last time read (or the wall clock before any). Services offer it only
// behind a test flag (--clock_file); production never sets it. Thread-safe.
class FileClock : public Clock {
 public:
  explicit FileClock(std::string path) : path_(std::move(path)) {}
  absl::Time Now() const override;

 private:
  const std::string path_;
  mutable absl::Mutex mu_;
  mutable absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace bdtx

#endif  // BDTX_COMMON_CLOCK_CLOCK_H_
