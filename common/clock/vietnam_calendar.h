// The Vietnam calendar the rules count in: local days in UTC+7 (no daylight saving).
// A rule that says "within the week" or "within 10 days" means up to the end of that
// local day, 23:59:59 Vietnam time.
#ifndef BDTX_COMMON_CLOCK_VIETNAM_CALENDAR_H_
#define BDTX_COMMON_CLOCK_VIETNAM_CALENDAR_H_

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace bdtx {

// UTC+7, fixed.
inline absl::TimeZone VietnamTimeZone() { return absl::FixedTimeZone(7 * 3600); }

// The Vietnam day `t` falls on.
inline absl::CivilDay VietnamDay(absl::Time t) { return absl::ToCivilDay(t, VietnamTimeZone()); }

// The last second of `day` in Vietnam (23:59:59 +07:00).
inline absl::Time EndOfVietnamDay(absl::CivilDay day) {
  return absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 23, 59, 59),
                         VietnamTimeZone());
}

// The end of the Vietnam day `days` days after the day of `t`: "within `days` days of t".
// Something started on Monday and due within 7 days is on time until the next Monday,
// 23:59:59, and late on Tuesday.
inline absl::Time DueDaysAfter(absl::Time t, int days) {
  return EndOfVietnamDay(VietnamDay(t) + days);
}

}  // namespace bdtx

#endif  // BDTX_COMMON_CLOCK_VIETNAM_CALENDAR_H_
