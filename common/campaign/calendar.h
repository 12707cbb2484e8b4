// The campaign calendar every service shares: Vietnam local time, and which years and
// modules a BDTX campaign can name (docs/domain.md: a school year's modules 1..9, years
// 2000..2100 so a typo like 203 or 20233 is caught at the edge rather than stored).
//
// Pure functions; thread-safe.
#ifndef BDTX_COMMON_CAMPAIGN_CALENDAR_H_
#define BDTX_COMMON_CAMPAIGN_CALENDAR_H_

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace bdtx {

inline constexpr int kFirstCampaignYear = 2000;
inline constexpr int kLastCampaignYear = 2100;
inline constexpr int kFirstModule = 1;
inline constexpr int kLastModule = 9;

inline constexpr bool IsCampaignYear(int year) {
  return year >= kFirstCampaignYear && year <= kLastCampaignYear;
}
inline constexpr bool IsCampaignModule(int module) {
  return module >= kFirstModule && module <= kLastModule;
}

// OK, or INVALID_ARGUMENT naming the first bad field: "year must be 2000..2100, got 203",
// "module must be 1..9, got 0".
absl::Status ValidateYearModule(int year, int module);

// Vietnam time (UTC+7, no daylight saving): deadlines, due dates and "today" are days
// in this zone.
absl::TimeZone VietnamTime();

// The Vietnam calendar day `t` falls on.
inline absl::CivilDay VietnamDay(absl::Time t) { return absl::ToCivilDay(t, VietnamTime()); }

}  // namespace bdtx

#endif  // BDTX_COMMON_CAMPAIGN_CALENDAR_H_
