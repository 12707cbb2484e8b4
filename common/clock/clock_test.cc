#include "common/clock/clock.h"

#include "gtest/gtest.h"

namespace bdtx {
namespace {

TEST(SimulatedClockTest, MovesOnlyWhenTold) {
  const absl::Time start = absl::FromUnixSeconds(1645977600);  // 2022-02-28
  SimulatedClock clock(start);
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(absl::Hours(24));
  EXPECT_EQ(clock.Now(), start + absl::Hours(24));
  clock.Set(start);
  EXPECT_EQ(clock.Now(), start);
}

TEST(RealClockTest, IsCloseToAbslNow) {
  EXPECT_LT(absl::AbsDuration(RealClock().Now() - absl::Now()), absl::Seconds(5));
}

}  // namespace
}  // namespace bdtx
