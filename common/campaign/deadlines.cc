#include "common/campaign/deadlines.h"

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace bdtx {

absl::StatusOr<Deadlines> Deadlines::Parse(absl::string_view spec) {
  Deadlines d;
  for (absl::string_view item : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    std::vector<absl::string_view> ym = absl::StrSplit(kv[0], ':');
    int year = 0, module = 0;
    absl::Time when;
    std::string error;
    if (kv.size() != 2 || !absl::SimpleAtoi(ym[0], &year) ||
        (ym.size() > 1 && !absl::SimpleAtoi(ym[1], &module)) ||
        !absl::ParseTime(absl::RFC3339_full, kv[1], &when, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "deadline '", item, "' must look like 2021=2022-02-28T23:59:59+07:00 or 2023:4=..."));
    }
    d.deadlines_[{year, module}] = when;
  }
  return d;
}

absl::Time Deadlines::For(int year, int module) const {
  if (auto it = deadlines_.find({year, module}); it != deadlines_.end()) return it->second;
  if (auto it = deadlines_.find({year, 0}); it != deadlines_.end()) return it->second;
  return absl::InfiniteFuture();
}

}  // namespace bdtx
