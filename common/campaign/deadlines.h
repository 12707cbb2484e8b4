// Campaign deadlines: (year, module) -> the moment submissions and sign-offs become late.
// Approvals marks late documents with them; notifications sends its digests against them.
// Both read the same `--deadlines` flag, so the parser lives here.
//
// Immutable after Parse; thread-safe to read.
#ifndef BDTX_COMMON_CAMPAIGN_DEADLINES_H_
#define BDTX_COMMON_CAMPAIGN_DEADLINES_H_

#include <map>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace bdtx {

class Deadlines {
 public:
  // "2021=2022-02-28T23:59:59+07:00,2023:4=2023-12-31T23:59:59+07:00": a year alone
  // covers every module of that year; "year:module" one module. Empty: no deadlines.
  // INVALID_ARGUMENT naming the bad item otherwise.
  static absl::StatusOr<Deadlines> Parse(absl::string_view spec);

  // The module's own deadline, else its year's, else InfiniteFuture (never late).
  absl::Time For(int year, int module) const;

  // Every (year, module) -> deadline, module 0 standing for the whole year.
  const std::map<std::pair<int, int>, absl::Time>& entries() const { return deadlines_; }

 private:
  std::map<std::pair<int, int>, absl::Time> deadlines_;
};

}  // namespace bdtx

#endif  // BDTX_COMMON_CAMPAIGN_DEADLINES_H_
