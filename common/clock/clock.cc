#include "common/clock/clock.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"

namespace bdtx {
namespace {

class WallClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

Clock& RealClock() {
  static WallClock* clock = new WallClock();
  return *clock;
}

absl::Time SimulatedClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

void SimulatedClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
}

void SimulatedClock::Set(absl::Time t) {
  absl::MutexLock lock(&mu_);
  now_ = t;
}

absl::Time FileClock::Now() const {
  std::ifstream in(path_);
  std::stringstream text;
  text << in.rdbuf();
  absl::Time t;
  std::string err;
  absl::MutexLock lock(&mu_);
  if (in && absl::ParseTime(absl::RFC3339_full, absl::StripAsciiWhitespace(text.str()), &t, &err)) {
    last_ = t;
  } else if (last_ == absl::InfinitePast()) {
    return absl::Now();
  }
  return last_;
}

}  // namespace bdtx
