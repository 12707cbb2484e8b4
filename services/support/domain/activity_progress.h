// Plan vs done (issue 21, "Support activities"; docs/support.md "Plan vs done"): the
// sub-rows a core member's plan names under rows 2.1–2.3, each beside the support
// activities logged against it, with done / late / not done / pending, and the activities
// that match no planned sub-row. Pure: the adapter passes the plan (from plans, through
// protos), the log and today's Vietnam day.
//
// Matching, per row (an activity only ever matches a sub-row of its own row):
//  1. On time: sub-rows by earliest window end first (then start, then plan order) each
//     take one unmatched activity dated inside their window, preferring one whose form
//     and the sub-row's activity name contain one another (case-folded), else the
//     oldest. That sub-row is DONE.
//  2. Late: sub-rows still without one, whose window has an end, take an unmatched
//     activity dated after that end (same preference). LATE.
//  3. The rest of the activities join a sub-row whose window holds their date (form
//     match first, else the earliest window end) without changing its progress; what
//     joins none is unplanned.
// A sub-row with nothing is NOT_DONE once its window's end is before `today`, else
// PENDING. Windows: the sub-row's own from/to, each unset side taken from its row, an
// unset end left open.
//
// Thread-safe (no state).
#ifndef BDTX_SERVICES_SUPPORT_DOMAIN_ACTIVITY_PROGRESS_H_
#define BDTX_SERVICES_SUPPORT_DOMAIN_ACTIVITY_PROGRESS_H_

#include <vector>

#include "absl/time/civil_time.h"
#include "bdtx/v1/plans.pb.h"
#include "bdtx/v1/support.pb.h"

namespace bdtx::support {

// Most unplanned activities listed (ActivityProgress.unplanned_total counts them all).
inline constexpr int kMaxUnplannedListed = 1'000;

// `plan`: the plan's content, or nullptr when the core member has none. `activities`: the
// core member's log for the plan's year and module (others are ignored). Fills sub_rows,
// unplanned and the counts; the caller sets core_member, year, module and plan fields.
void CompareWithPlan(const bdtx::v1::DocumentContent* plan,
                     const std::vector<bdtx::v1::SupportActivity>& activities, absl::CivilDay today,
                     bdtx::v1::ActivityProgress& out);

}  // namespace bdtx::support

#endif  // BDTX_SERVICES_SUPPORT_DOMAIN_ACTIVITY_PROGRESS_H_
