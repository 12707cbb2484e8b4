#include "common/clock/clock.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "common/clock/vietnam_calendar.h"
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

TEST(FileClockTest, ReadsTheFileAtEveryCallAndKeepsTheLastGoodTime) {
  const std::string path = ::testing::TempDir() + "/bdtx_file_clock_test";
  std::remove(path.c_str());
  FileClock clock(path);
  EXPECT_LT(absl::AbsDuration(clock.Now() - absl::Now()), absl::Seconds(5));  // no file yet
  std::ofstream(path) << "2023-10-02T10:00:00+07:00\n";
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1696215600));
  std::ofstream(path) << "2023-10-09T23:59:59+07:00";
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1696870799));
  std::ofstream(path) << "not a time";
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1696870799));
  std::remove(path.c_str());
}

TEST(VietnamCalendarTest, DueWithinSevenDaysEndsAtMidnightOfTheSeventhLocalDay) {
  // Monday 2 October 2023, 23:30 Vietnam time (16:30 UTC).
  const absl::Time asked = absl::FromUnixSeconds(1696264200);
  EXPECT_EQ(VietnamDay(asked), absl::CivilDay(2023, 10, 2));
  const absl::Time due = DueDaysAfter(asked, 7);
  EXPECT_EQ(absl::FormatTime(absl::RFC3339_sec, due, VietnamTimeZone()),
            "2023-10-09T23:59:59+07:00");
}

}  // namespace
}  // namespace bdtx
