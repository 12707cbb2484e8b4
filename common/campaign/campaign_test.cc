#include "common/campaign/calendar.h"
#include "common/campaign/deadlines.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bdtx {
namespace {

using ::bdtx::testing::IsOk;
using ::bdtx::testing::StatusIs;
using ::testing::HasSubstr;

TEST(Calendar, YearAndModuleBoundsAreInclusive) {
  EXPECT_THAT(ValidateYearModule(2000, 1), IsOk());
  EXPECT_THAT(ValidateYearModule(2100, 9), IsOk());
  EXPECT_THAT(ValidateYearModule(1999, 4), StatusIs(absl::StatusCode::kInvalidArgument,
                                                    "năm phải từ 2000 đến 2100, không phải 1999"));
  EXPECT_THAT(ValidateYearModule(2101, 4),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("năm phải từ 2000 đến 2100")));
  EXPECT_THAT(ValidateYearModule(2023, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, "mô đun phải từ 1 đến 9, không phải 0"));
  EXPECT_THAT(ValidateYearModule(2023, 10),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mô đun phải từ 1 đến 9")));
}

TEST(Calendar, VietnamDayIsUtcPlusSevenAllYear) {
  // 17:00 UTC is already the next day in Hà Nội, in winter and in summer (no DST).
  const absl::Time winter =
      absl::FromCivil(absl::CivilSecond(2023, 12, 31, 17, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(VietnamDay(winter), absl::CivilDay(2024, 1, 1));
  const absl::Time summer =
      absl::FromCivil(absl::CivilSecond(2023, 6, 30, 16, 59, 59), absl::UTCTimeZone());
  EXPECT_EQ(VietnamDay(summer), absl::CivilDay(2023, 6, 30));
}

TEST(Deadlines, ModuleDeadlineWinsOverTheYearsAndNoneIsNeverLate) {
  auto d = Deadlines::Parse("2021=2022-02-28T23:59:59+07:00, 2023:4=2023-12-31T23:59:59+07:00");
  ASSERT_THAT(d, IsOk());
  absl::Time y2021, m4;
  std::string err;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, "2022-02-28T23:59:59+07:00", &y2021, &err));
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, "2023-12-31T23:59:59+07:00", &m4, &err));
  EXPECT_EQ(d->For(2021, 3), y2021);
  EXPECT_EQ(d->For(2023, 4), m4);
  EXPECT_EQ(d->For(2023, 5), absl::InfiniteFuture());
  EXPECT_EQ(d->entries().size(), 2u);
  auto none = Deadlines::Parse("");
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->For(2023, 4), absl::InfiniteFuture());
}

TEST(Deadlines, RefusesMalformedItemsNamingThem) {
  for (const char* bad : {"2021", "x=2022-02-28T23:59:59+07:00", "2021:y=2022-02-28T23:59:59+07:00",
                          "2021=yesterday"}) {
    EXPECT_THAT(Deadlines::Parse(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(bad)));
  }
}

}  // namespace
}  // namespace bdtx
