#include "common/campaign/calendar.h"

#include "absl/strings/str_cat.h"

namespace bdtx {

absl::Status ValidateYearModule(int year, int module) {
  if (!IsCampaignYear(year)) {
    return absl::InvalidArgumentError(absl::StrCat("năm phải từ ", kFirstCampaignYear, " đến ",
                                                   kLastCampaignYear, ", không phải ", year));
  }
  if (!IsCampaignModule(module)) {
    return absl::InvalidArgumentError(absl::StrCat("mô đun phải từ ", kFirstModule, " đến ",
                                                   kLastModule, ", không phải ", module));
  }
  return absl::OkStatus();
}

absl::TimeZone VietnamTime() {
  static const absl::TimeZone kVietnam = absl::FixedTimeZone(7 * 3600);
  return kVietnam;
}

}  // namespace bdtx
