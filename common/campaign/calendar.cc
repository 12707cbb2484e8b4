#include "common/campaign/calendar.h"

#include "absl/strings/str_cat.h"

namespace bdtx {

absl::Status ValidateYearModule(int year, int module) {
  if (!IsCampaignYear(year)) {
    return absl::InvalidArgumentError(
        absl::StrCat("year must be ", kFirstCampaignYear, "..", kLastCampaignYear, ", got ", year));
  }
  if (!IsCampaignModule(module)) {
    return absl::InvalidArgumentError(
        absl::StrCat("module must be ", kFirstModule, "..", kLastModule, ", got ", module));
  }
  return absl::OkStatus();
}

absl::TimeZone VietnamTime() {
  static const absl::TimeZone kVietnam = absl::FixedTimeZone(7 * 3600);
  return kVietnam;
}

}  // namespace bdtx
