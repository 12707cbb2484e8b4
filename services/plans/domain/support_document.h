// The peer-support plan (Appendix 1) and completion report (Appendix 2) as pure rules:
// the standard rows and their pre-filled targets, the base of every report row,
// computed percentages, the "not deployed" report, validation with field paths, field-mask
// edits, the content hash, attachment type sniffing and certificate eligibility.
// No gRPC, storage or clock: callers pass directory/grading facts and "today" in.
#ifndef BDTX_SERVICES_PLANS_DOMAIN_SUPPORT_DOCUMENT_H_
#define BDTX_SERVICES_PLANS_DOMAIN_SUPPORT_DOCUMENT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "bdtx/v1/plans.pb.h"
#include "bdtx/v1/support.pb.h"
#include "common/names/document_name.h"
#include "google/protobuf/field_mask.pb.h"

namespace bdtx::plans {

using ::bdtx::DocumentKey;

// The ten standard rows of Appendix 1, in order.
inline constexpr const char* kRowNumbers[] = {"1.1", "1.2", "2.1", "2.2", "2.3",
                                              "3.1", "3.2", "4.1", "4.2", "5.1"};
// Rows under which the author inserts sub-rows naming concrete activities.
bool TakesSubRows(absl::string_view row);

// "Chưa triển khai": what every cell of a not-deployed report says.
inline constexpr char kNotDeployedText[] = "Chưa triển khai";

// What the directory says about the author when a plan is created.
struct AuthorFacts {
  bdtx::v1::Person person;
  std::string school_name;                 // display name of the home unit
  std::vector<std::string> unit_ancestry;  // home unit first, up to the ministry
  int64_t assigned = 0;                    // N colleagues assigned by the Sở (support group)
  std::string lecturer_name;
  std::string principal_name;  // of the home unit, when it is a school
};

// The BDTX year Y for time windows: 1 January Y to 30 June Y+1 (the batch's documents are
// due in the first half of the next year; the 2021 batch closed on 28 February 2022).
struct YearWindow {
  absl::CivilDay first;
  absl::CivilDay last;
};
YearWindow WindowOfYear(int year);

absl::CivilDay ToDay(const bdtx::v1::Date& date);
bdtx::v1::Date FromDay(absl::CivilDay day);
std::string DateText(const bdtx::v1::Date& date);  // "dd/mm/yyyy"; "" when unset
bool IsSet(const bdtx::v1::Date& date);

// Appendix 1 with the standard rows and targets: 100% of the N colleagues (1.1, 2.2,
// 2.3, 3.2, 4.1, 4.2), 100% of those with LMS access (1.2, 2.1, 3.1; N until known),
// 80% for 5.1, questions answered within the week; the window from `today` (or the
// start of the year window) to its end; coordinators named from the directory.
bdtx::v1::DocumentContent NewPlan(const DocumentKey& key, const AuthorFacts& facts,
                                  absl::CivilDay today);

// Appendix 2 from the plan's content: the same rows and targets plus a result per row.
// Counts come from `counts` (grading) where it has the row; 1.1 from the directory's
// assignment; 2.2 and 2.3 are MANUAL against the number assigned. A not-deployed report
// says "Chưa triển khai" in every cell, dated `report_date`.
bdtx::v1::DocumentContent NewReport(const DocumentKey& key, const bdtx::v1::DocumentContent& plan,
                                    const bdtx::v1::SupportCountsResponse& counts,
                                    bool not_deployed, absl::CivilDay report_date);

// Puts grading's counts and every row's base into `report` (manual counts are kept) and
// recomputes the percentages. Clears "not deployed".
void ApplyCounts(const bdtx::v1::SupportCountsResponse& counts, bdtx::v1::DocumentContent& report);

// Rows 2.1–2.3 from the support service (issue 21): the questions of each row (asked,
// answered within the week by the core member, escalated ones answered by the lecturer
// within the lecturer's week), marked FROM_SUPPORT; for 2.2 and 2.3 also the colleagues
// who took part (count) against the support group (base). 2.1 keeps grading's LMS
// participation against those with LMS access when grading counted it. Nothing changes
// in a not-deployed report. Percentages are recomputed.
void ApplySupportCounts(const bdtx::v1::SupportReportCounts& support,
                        bdtx::v1::DocumentContent& report);

// Every cell "Chưa triển khai", every window the report's date, no sub-rows.
void MarkNotDeployed(bdtx::v1::DocumentContent& report);

// Percentages from counts and bases (one decimal); never typed by anyone.
void Recompute(bdtx::v1::DocumentContent& content);

// INVALID_ARGUMENT with a google.rpc.BadRequest naming every violation by field path
// ("rows[3].to", "rows[2].sub_rows[0].activity"): windows from <= to and inside the
// year window, targets 0-100 %, counts within their base, known unique row numbers,
// sub-rows only under 2.1-2.3 and named. `for_submission` adds completeness: every
// standard row present with its activity and window, a report's date.
absl::Status Validate(const bdtx::v1::DocumentContent& content, bool for_submission);

// The content after an edit: only the paths in `mask` are taken from `patch`. Editable:
// header.position, rows, and for reports report_date and not_deployed. Identity, the
// header from the directory, bases, sources and grading's counts stay as they were (a
// changed grading count is refused: RefreshReportCounts re-reads them). The result is
// validated (not for submission) and its percentages recomputed.
absl::StatusOr<bdtx::v1::DocumentContent> ApplyEdit(const bdtx::v1::DocumentContent& current,
                                                    const bdtx::v1::DocumentContent& patch,
                                                    const google::protobuf::FieldMask& mask);

// sha256 (hex) of the deterministic serialization of `content`.
std::string ContentSha256(const bdtx::v1::DocumentContent& content);

// "application/pdf", "image/jpeg" or "image/png" from the first bytes (magic number), or
// INVALID_ARGUMENT naming what the file looks like instead. Needs at least 8 bytes or the
// whole file.
absl::StatusOr<std::string> SniffMediaType(absl::string_view head, bool whole_file);

// What a certificate needs for one module: both documents SIGNED_OFF.
struct ModuleDocuments {
  int module = 0;
  bdtx::v1::DocumentState plan = bdtx::v1::DOCUMENT_STATE_UNSPECIFIED;  // unspecified: none
  bdtx::v1::DocumentState report = bdtx::v1::DOCUMENT_STATE_UNSPECIFIED;
  bool report_not_deployed = false;
};
// Eligible when there is at least one module and every module's plan and report are
// signed off; `missing` says in words what each module still needs.
bdtx::v1::Eligibility DecideEligibility(const std::string& core_member, int year,
                                        const std::vector<ModuleDocuments>& modules);

// What the printed form shows beyond the content.
struct RenderContext {
  bdtx::v1::DocumentState state = bdtx::v1::DRAFT;
  std::string lecturer_name;
  std::string signer_title;        // "HIỆU TRƯỞNG", "ĐẠI DIỆN PHÒNG GDĐT", ...
  bool lecturer_passed = false;    // Đạt
  bool lecturer_returned = false;  // Chưa đạt (the last word of the lecturer)
  std::string place;               // "………." when unknown
};
// The official form as one self-contained HTML page with print CSS (A4 landscape): the
// header, the table, the signature blocks and the lecturer's Đạt / Chưa đạt box.
std::string RenderHtml(const bdtx::v1::SupportDocument& document, const RenderContext& context);

}  // namespace bdtx::plans

#endif  // BDTX_SERVICES_PLANS_DOMAIN_SUPPORT_DOCUMENT_H_
