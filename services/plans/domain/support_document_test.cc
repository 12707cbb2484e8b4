#include "services/plans/domain/support_document.h"

#include <functional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace bdtx::plans {
namespace {

namespace v1 = ::bdtx::v1;

DocumentKey Key(v1::DocumentKind kind = v1::PLAN) {
  return DocumentKey{"people/gvcc-001", kind, 2023, 4};
}

AuthorFacts Facts() {
  AuthorFacts f;
  f.person.set_name("people/gvcc-001");
  f.person.set_display_name("Nguyễn Văn An");
  f.person.add_roles(v1::CORE_TEACHER);
  f.person.set_subject("Toán");
  f.person.set_home_unit("units/thcs-tan-phu");
  f.school_name = "Trường THCS Tân Phú";
  f.assigned = 12;
  f.lecturer_name = "TS. Lê Thị Bình";
  f.principal_name = "Trần Văn Cường";
  return f;
}

v1::SupportCountsResponse Counts() {
  v1::SupportCountsResponse c;
  c.set_assigned(12);
  auto row = [&](const char* id, int64_t count, int64_t base, const char* meaning) {
    v1::RowCount* r = c.add_rows();
    r->set_row(id);
    r->set_count(count);
    r->set_base(base);
    r->set_base_meaning(meaning);
  };
  row("1.2", 10, 12, "colleagues assigned by the Sở");
  row("2.1", 9, 10, "colleagues with LMS access");
  row("3.1", 8, 10, "learners on the LMS");
  row("3.2", 7, 10, "learners on the LMS");
  row("4.1", 6, 8, "learners who finished the final assignment");
  row("4.2", 3, 5, "learners who finished the module");
  row("5.1", 5, 9, "participants");
  return c;
}

const v1::Row& RowOf(const v1::DocumentContent& c, const std::string& number) {
  for (const v1::Row& r : c.rows()) {
    if (r.number() == number) return r;
  }
  ADD_FAILURE() << "no row " << number;
  return v1::Row::default_instance();
}

std::vector<std::string> FieldsOf(const absl::Status& s) {
  std::vector<std::string> out;
  auto payload = s.GetPayload("type.googleapis.com/google.rpc.BadRequest");
  if (!payload) return out;
  google::rpc::BadRequest br;
  EXPECT_TRUE(br.ParseFromString(std::string(*payload)));
  for (const auto& v : br.field_violations()) out.push_back(v.field());
  return out;
}

TEST(NewPlan, PrefillsTheStandardRowsFromTheDirectory) {
  const v1::DocumentContent plan = NewPlan(Key(), Facts(), absl::CivilDay(2023, 9, 15));
  EXPECT_EQ(plan.name(), "documents/gvcc-001-2023-m4-plan");
  EXPECT_EQ(plan.header().author_name(), "Nguyễn Văn An");
  EXPECT_EQ(plan.header().position(), "GVPT cốt cán – Toán");
  EXPECT_EQ(plan.header().school(), "Trường THCS Tân Phú");
  ASSERT_EQ(plan.rows_size(), 10);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(plan.rows(i).number(), kRowNumbers[i]);
  for (const v1::Row& r : plan.rows()) {
    EXPECT_EQ(r.target().count(), 12) << r.number();
    EXPECT_EQ(r.target().percent(), r.number() == "5.1" ? 80 : 100) << r.number();
    EXPECT_EQ(DateText(r.from()), "15/09/2023");
    EXPECT_EQ(DateText(r.to()), "30/06/2024");
    ASSERT_EQ(r.coordinators_size(), 3);
    EXPECT_EQ(r.coordinators(0), "GVSP chủ chốt: TS. Lê Thị Bình");
    EXPECT_EQ(r.coordinators(1), "Hiệu trưởng: Trần Văn Cường");
    EXPECT_FALSE(r.has_result());
  }
  EXPECT_TRUE(absl::StrContains(RowOf(plan, "1.2").activity(), "mô đun 4"));
  EXPECT_TRUE(absl::StrContains(RowOf(plan, "2.1").target().description(), "trong tuần"));
  EXPECT_TRUE(absl::StrContains(RowOf(plan, "4.2").activity(), "năm 2023"));
  EXPECT_TRUE(Validate(plan, /*for_submission=*/true).ok()) << Validate(plan, true);
}

TEST(NewPlan, ManagersGetTheManagementLecturerAndWindowsStayInsideTheYear) {
  AuthorFacts f = Facts();
  f.person.clear_roles();
  f.person.add_roles(v1::CORE_MANAGER);
  f.principal_name.clear();
  // Created long after the BDTX year: the window starts at its beginning.
  const v1::DocumentContent plan = NewPlan(Key(), f, absl::CivilDay(2026, 11, 23));
  EXPECT_EQ(plan.header().position(), "CBQLCSGDPT cốt cán");
  EXPECT_EQ(plan.rows(0).coordinators(0), "GVQLGD chủ chốt: TS. Lê Thị Bình");
  EXPECT_EQ(plan.rows(0).coordinators_size(), 2);
  EXPECT_EQ(DateText(plan.rows(0).from()), "01/01/2023");
  EXPECT_TRUE(Validate(plan, true).ok());
}

TEST(NewReport, EveryRowAgainstItsOwnBase) {
  const v1::DocumentContent plan = NewPlan(Key(), Facts(), absl::CivilDay(2023, 9, 15));
  const v1::DocumentContent report =
      NewReport(Key(v1::REPORT), plan, Counts(), false, absl::CivilDay(2023, 12, 20));
  EXPECT_EQ(report.name(), "documents/gvcc-001-2023-m4-report");
  EXPECT_EQ(report.kind(), v1::REPORT);
  struct Expect {
    const char* row;
    int64_t count, base;
    double percent;
    v1::ResultSource source;
  };
  const Expect table[] = {
      {"1.1", 12, 12, 100.0, v1::FROM_DIRECTORY},  // the number assigned
      {"1.2", 10, 12, 83.3, v1::FROM_GRADING},     // vs assigned
      {"2.1", 9, 10, 90.0, v1::FROM_GRADING},      // vs LMS access
      {"2.2", 0, 12, 0.0, v1::MANUAL},             // entered by the author, vs assigned
      {"2.3", 0, 12, 0.0, v1::MANUAL},
      {"3.1", 8, 10, 80.0, v1::FROM_GRADING},  // vs learners on the LMS
      {"3.2", 7, 10, 70.0, v1::FROM_GRADING},
      {"4.1", 6, 8, 75.0, v1::FROM_GRADING},  // vs finished the assignment
      {"4.2", 3, 5, 60.0, v1::FROM_GRADING},  // vs finished the module
      {"5.1", 5, 9, 55.6, v1::FROM_GRADING},  // vs participants
  };
  for (const Expect& e : table) {
    const v1::Result& r = RowOf(report, e.row).result();
    EXPECT_EQ(r.count(), e.count) << e.row;
    EXPECT_EQ(r.base(), e.base) << e.row;
    EXPECT_DOUBLE_EQ(r.percent(), e.percent) << e.row;
    EXPECT_EQ(r.source(), e.source) << e.row;
    EXPECT_FALSE(r.base_meaning().empty()) << e.row;
  }
  // The plan's rows and targets are kept.
  EXPECT_EQ(RowOf(report, "5.1").target().percent(), 80);
  EXPECT_TRUE(Validate(report, true).ok()) << Validate(report, true);
}

TEST(NewReport, NotDeployedFillsEveryCellDatedTheReportDate) {
  v1::DocumentContent plan = NewPlan(Key(), Facts(), absl::CivilDay(2023, 9, 15));
  plan.mutable_rows(2)->add_sub_rows()->set_activity("Lớp học ảo tuần 1");
  const v1::DocumentContent report =
      NewReport(Key(v1::REPORT), plan, Counts(), true, absl::CivilDay(2024, 1, 5));
  EXPECT_TRUE(report.not_deployed());
  for (const v1::Row& r : report.rows()) {
    EXPECT_EQ(r.result().text(), "Chưa triển khai") << r.number();
    EXPECT_EQ(r.result().source(), v1::NOT_DEPLOYED) << r.number();
    EXPECT_EQ(r.result().count(), 0);
    EXPECT_EQ(DateText(r.from()), "05/01/2024");
    EXPECT_EQ(DateText(r.to()), "05/01/2024");
    EXPECT_EQ(r.sub_rows_size(), 0);
  }
  EXPECT_TRUE(Validate(report, true).ok()) << Validate(report, true);
  // Refreshing counts turns it back into a deployed report.
  v1::DocumentContent again = report;
  ApplyCounts(Counts(), again);
  EXPECT_FALSE(again.not_deployed());
  EXPECT_EQ(RowOf(again, "2.1").result().count(), 9);
  EXPECT_EQ(RowOf(again, "2.1").result().text(), "");
}

// Issue 21: rows 2.1–2.3 take the support service's counts, marked with their source;
// 2.1 keeps grading's LMS participation; typed edits cannot change them.
TEST(ApplySupportCounts, RowsTwoOneToTwoThreeFromTheSupportService) {
  const v1::DocumentContent plan = NewPlan(Key(), Facts(), absl::CivilDay(2023, 9, 15));
  v1::DocumentContent report =
      NewReport(Key(v1::REPORT), plan, Counts(), false, absl::CivilDay(2024, 1, 5));
  v1::SupportReportCounts support;
  support.set_colleagues(12);
  const char* numbers[] = {"2.1", "2.2", "2.3"};
  for (int i = 0; i < 3; ++i) {
    v1::SupportReportRow* row = support.add_rows();
    row->set_number(numbers[i]);
    row->set_participants(10 - i);
    row->set_colleagues(12);
    row->set_questions(4);
    row->set_answered_by_core_member_in_week(2);
    row->set_escalated(1);
    row->set_escalated_answered_by_lecturer_in_week(1);
  }
  ApplySupportCounts(support, report);
  const v1::Result& r21 = RowOf(report, "2.1").result();
  EXPECT_EQ(r21.source(), v1::FROM_GRADING);  // LMS participation stays grading's
  EXPECT_EQ(r21.count(), 9);
  EXPECT_EQ(r21.questions().source(), v1::FROM_SUPPORT);
  EXPECT_EQ(r21.questions().asked(), 4);
  EXPECT_DOUBLE_EQ(r21.questions().answered_percent(), 75.0);
  const v1::Result& r23 = RowOf(report, "2.3").result();
  EXPECT_EQ(r23.source(), v1::FROM_SUPPORT);
  EXPECT_EQ(r23.count(), 8);
  EXPECT_EQ(r23.base(), 12);
  EXPECT_DOUBLE_EQ(r23.percent(), 66.7);
  EXPECT_TRUE(Validate(report, true).ok()) << Validate(report, true);
  // Typed over: refused for the count, ignored for the question figures.
  v1::DocumentContent patch = report;
  for (v1::Row& row : *patch.mutable_rows()) {
    if (row.number() == "2.2") row.mutable_result()->mutable_questions()->set_asked(40);
  }
  google::protobuf::FieldMask mask;
  mask.add_paths("rows");
  auto edited = ApplyEdit(report, patch, mask);
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_EQ(RowOf(*edited, "2.2").result().questions().asked(), 4);
  for (v1::Row& row : *patch.mutable_rows()) {
    if (row.number() == "2.3") row.mutable_result()->set_count(12);
  }
  EXPECT_TRUE(absl::IsInvalidArgument(ApplyEdit(report, patch, mask).status()));
  // A not-deployed report stays "Chưa triển khai".
  v1::DocumentContent nd =
      NewReport(Key(v1::REPORT), plan, Counts(), true, absl::CivilDay(2024, 7, 5));
  ApplySupportCounts(support, nd);
  EXPECT_EQ(RowOf(nd, "2.3").result().source(), v1::NOT_DEPLOYED);
}

// Seed 001: a module that was not run is reported dated the reporting day, which may be
// long after the module's year (issue 21); a report of a module that was run keeps its
// windows inside the programme year.
TEST(Validate, NotDeployedReportDatedItsReportingDayAfterTheYearGoesThrough) {
  const v1::DocumentContent plan = NewPlan(Key(), Facts(), absl::CivilDay(2023, 9, 15));
  for (absl::CivilDay day : {absl::CivilDay(2024, 7, 1), absl::CivilDay(2026, 11, 29)}) {
    const v1::DocumentContent report = NewReport(Key(v1::REPORT), plan, Counts(), true, day);
    EXPECT_TRUE(Validate(report, true).ok()) << day << ": " << Validate(report, true);
    EXPECT_TRUE(Validate(report, false).ok()) << day;
  }
  // Not before the year, though.
  const v1::DocumentContent early =
      NewReport(Key(v1::REPORT), plan, Counts(), true, absl::CivilDay(2022, 12, 31));
  EXPECT_FALSE(Validate(early, true).ok());
  // A deployed report dated and windowed after the year is still refused, row by row.
  v1::DocumentContent deployed =
      NewReport(Key(v1::REPORT), plan, Counts(), false, absl::CivilDay(2024, 1, 5));
  *deployed.mutable_rows(0)->mutable_to() = FromDay(absl::CivilDay(2026, 11, 29));
  const absl::Status s = Validate(deployed, true);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(std::string(s.message()).find("outside the BDTX year"), std::string::npos) << s;
  // A row claiming "not deployed" in a deployed report gets no such leeway.
  v1::DocumentContent mixed = deployed;
  *mixed.mutable_rows(0)->mutable_to() = mixed.rows(0).from();
  mixed.mutable_rows(1)->mutable_result()->set_source(v1::NOT_DEPLOYED);
  *mixed.mutable_rows(1)->mutable_from() = FromDay(absl::CivilDay(2026, 11, 29));
  *mixed.mutable_rows(1)->mutable_to() = FromDay(absl::CivilDay(2026, 11, 29));
  EXPECT_FALSE(Validate(mixed, false).ok());
}

// Each case breaks one thing; the violation must name exactly that field path.
TEST(Validate, NamesEveryViolationByFieldPath) {
  struct Case {
    const char* what;
    std::function<void(v1::DocumentContent&)> breakit;
    bool for_submission;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"window ends before it starts",
       [](auto& c) { *c.mutable_rows(3)->mutable_to() = FromDay(absl::CivilDay(2023, 9, 1)); },
       false, "rows[3].to"},
      {"window before the year",
       [](auto& c) { *c.mutable_rows(0)->mutable_from() = FromDay(absl::CivilDay(2022, 12, 31)); },
       false, "rows[0].from"},
      {"window after the year",
       [](auto& c) { *c.mutable_rows(9)->mutable_to() = FromDay(absl::CivilDay(2024, 7, 1)); },
       false, "rows[9].to"},
      {"not a calendar date",
       [](auto& c) {
         c.mutable_rows(1)->mutable_to()->set_month(2);
         c.mutable_rows(1)->mutable_to()->set_day(30);
       },
       false, "rows[1].to"},
      {"target above 100", [](auto& c) { c.mutable_rows(2)->mutable_target()->set_percent(101); },
       false, "rows[2].target.percent"},
      {"target below 0", [](auto& c) { c.mutable_rows(2)->mutable_target()->set_percent(-1); },
       false, "rows[2].target.percent"},
      {"negative N", [](auto& c) { c.mutable_rows(0)->mutable_target()->set_count(-3); }, false,
       "rows[0].target.count"},
      {"unknown row", [](auto& c) { c.mutable_rows(4)->set_number("2.4"); }, false,
       "rows[4].number"},
      {"duplicate row", [](auto& c) { c.mutable_rows(4)->set_number("2.2"); }, false,
       "rows[4].number"},
      {"sub-row not named", [](auto& c) { c.mutable_rows(3)->add_sub_rows(); }, false,
       "rows[3].sub_rows[0].activity"},
      {"sub-row under 3.1", [](auto& c) { c.mutable_rows(5)->add_sub_rows()->set_activity("x"); },
       false, "rows[5].sub_rows"},
      {"sub-row half a window",
       [](auto& c) {
         v1::SubRow* s = c.mutable_rows(2)->add_sub_rows();
         s->set_activity("Diễn đàn");
         *s->mutable_from() = FromDay(absl::CivilDay(2023, 10, 1));
       },
       false, "rows[2].sub_rows[0].to"},
      {"required row missing", [](auto& c) { c.mutable_rows()->DeleteSubrange(6, 1); }, true,
       "rows"},
      {"activity empty on submission", [](auto& c) { c.mutable_rows(1)->clear_activity(); }, true,
       "rows[1].activity"},
      {"window missing on submission", [](auto& c) { c.mutable_rows(8)->clear_to(); }, true,
       "rows[8].to"},
      {"a plan with a result", [](auto& c) { c.mutable_rows(0)->mutable_result()->set_count(1); },
       false, "rows[0].result"},
  };
  const v1::DocumentContent plan = NewPlan(Key(), Facts(), absl::CivilDay(2023, 9, 15));
  ASSERT_TRUE(Validate(plan, true).ok());
  for (const Case& c : cases) {
    v1::DocumentContent broken = plan;
    c.breakit(broken);
    const absl::Status s = Validate(broken, c.for_submission);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_EQ(FieldsOf(s), std::vector<std::string>{c.field}) << c.what << ": " << s;
  }
  // Drafts may be incomplete; submissions may not.
  v1::DocumentContent draft = plan;
  draft.mutable_rows(8)->clear_to();
  draft.mutable_rows(8)->clear_from();
  EXPECT_TRUE(Validate(draft, false).ok());
  EXPECT_FALSE(Validate(draft, true).ok());
}

TEST(Validate, ReportCountsWithinTheirBase) {
  const v1::DocumentContent plan = NewPlan(Key(), Facts(), absl::CivilDay(2023, 9, 15));
  v1::DocumentContent report =
      NewReport(Key(v1::REPORT), plan, Counts(), false, absl::CivilDay(2023, 12, 20));
  report.mutable_rows(3)->mutable_result()->set_count(13);  // 2.2 against 12 assigned
  v1::QuestionCounts* q = report.mutable_rows(2)->mutable_result()->mutable_questions();
  q->set_asked(5);
  q->set_answered_by_core_member(4);
  q->set_escalated_answered_by_lecturer(2);
  const absl::Status s = Validate(report, false);
  EXPECT_EQ(FieldsOf(s),
            (std::vector<std::string>{"rows[2].result.questions", "rows[3].result.count"}))
      << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "13 is more than its base (12")) << s;
  report.clear_report_date();
  EXPECT_EQ(FieldsOf(Validate(report, true)).back(), "report_date");
}

TEST(ApplyEdit, OnlyMaskedEditableFieldsChange) {
  const v1::DocumentContent plan = NewPlan(Key(), Facts(), absl::CivilDay(2023, 9, 15));
  v1::DocumentContent patch;
  patch.mutable_header()->set_position("Tổ trưởng, GVPT cốt cán – Toán");
  patch.mutable_header()->set_author_name("someone else");  // not in the mask
  patch.set_author("people/mallory");
  google::protobuf::FieldMask mask;
  mask.add_paths("header.position");
  auto edited = ApplyEdit(plan, patch, mask);
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_EQ(edited->header().position(), "Tổ trưởng, GVPT cốt cán – Toán");
  EXPECT_EQ(edited->header().author_name(), "Nguyễn Văn An");
  EXPECT_EQ(edited->author(), "people/gvcc-001");
  EXPECT_NE(ContentSha256(*edited), ContentSha256(plan));
  EXPECT_EQ(ContentSha256(plan),
            ContentSha256(NewPlan(Key(), Facts(), absl::CivilDay(2023, 9, 15))));

  // Rows are replaced as a whole: a sub-row added under 2.2.
  patch = plan;
  patch.mutable_rows(3)->add_sub_rows()->set_activity("Nhóm Zalo tổ Toán");
  mask.Clear();
  mask.add_paths("rows");
  edited = ApplyEdit(plan, patch, mask);
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_EQ(edited->rows(3).sub_rows(0).activity(), "Nhóm Zalo tổ Toán");

  for (const char* path : {"author", "name", "header.author_name", "kind", "report_date", "x"}) {
    mask.Clear();
    mask.add_paths(path);
    auto refused = ApplyEdit(plan, patch, mask);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(FieldsOf(refused.status()), std::vector<std::string>{"update_mask"}) << path;
  }
  mask.Clear();
  EXPECT_FALSE(ApplyEdit(plan, patch, mask).ok());
  // An edit that breaks a rule is refused with the rule's field.
  patch = plan;
  patch.mutable_rows(0)->mutable_target()->set_percent(150);
  mask.add_paths("rows");
  EXPECT_EQ(FieldsOf(ApplyEdit(plan, patch, mask).status()),
            std::vector<std::string>{"rows[0].target.percent"});
}

TEST(ApplyEdit, ReportCountsFromGradingAreNotTypedAndPercentagesAreComputed) {
  const v1::DocumentContent plan = NewPlan(Key(), Facts(), absl::CivilDay(2023, 9, 15));
  const v1::DocumentContent report =
      NewReport(Key(v1::REPORT), plan, Counts(), false, absl::CivilDay(2023, 12, 20));
  google::protobuf::FieldMask mask;
  mask.add_paths("rows");

  v1::DocumentContent patch = report;
  patch.mutable_rows(3)->mutable_result()->set_count(9);                  // 2.2: manual
  patch.mutable_rows(3)->mutable_result()->set_percent(100);              // typed: ignored
  patch.mutable_rows(3)->mutable_result()->set_base(9);                   // typed: ignored
  patch.mutable_rows(3)->mutable_result()->set_source(v1::FROM_GRADING);  // ignored
  v1::QuestionCounts* q = patch.mutable_rows(2)->mutable_result()->mutable_questions();
  q->set_asked(8);
  q->set_answered_by_core_member(6);
  q->set_escalated_answered_by_lecturer(1);
  auto edited = ApplyEdit(report, patch, mask);
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_EQ(edited->rows(3).result().count(), 9);
  EXPECT_EQ(edited->rows(3).result().base(), 12);
  EXPECT_DOUBLE_EQ(edited->rows(3).result().percent(), 75.0);
  EXPECT_EQ(edited->rows(3).result().source(), v1::MANUAL);
  EXPECT_DOUBLE_EQ(edited->rows(2).result().questions().answered_percent(), 87.5);

  patch = report;
  patch.mutable_rows(5)->mutable_result()->set_count(10);  // 3.1 comes from grading
  auto refused = ApplyEdit(report, patch, mask);
  EXPECT_EQ(FieldsOf(refused.status()), std::vector<std::string>{"rows[5].result.count"});
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "RefreshReportCounts"));

  // Marking the report not deployed through the mask fills every cell.
  patch.Clear();
  patch.set_not_deployed(true);
  mask.Clear();
  mask.add_paths("not_deployed");
  edited = ApplyEdit(report, patch, mask);
  ASSERT_TRUE(edited.ok()) << edited.status();
  for (const v1::Row& r : edited->rows()) EXPECT_EQ(r.result().text(), kNotDeployedText);
}

TEST(SniffMediaType, ByMagicNumberNotByName) {
  struct Case {
    std::string head;
    bool whole;
    std::string type;  // "" = refused
  };
  const std::vector<Case> cases = {
      {"%PDF-1.7\n%\xE2\xE3", false, "application/pdf"},
      {std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10), false, "image/jpeg"},
      {std::string("\x89PNG\r\n\x1A\n\0\0\0\rIHDR", 16), false, "image/png"},
      {"GIF89a......", false, ""},
      {"PK\x03\x04 docx", false, ""},
      {"<html><body>", false, ""},
      {"%PD", true, ""},
      {"", true, ""},
      {std::string("\x89PNG\r\n\x1A", 7), true, ""},
  };
  for (const Case& c : cases) {
    auto got = SniffMediaType(c.head, c.whole);
    if (c.type.empty()) {
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << c.head;
    } else {
      ASSERT_TRUE(got.ok()) << c.head;
      EXPECT_EQ(*got, c.type);
    }
  }
  EXPECT_TRUE(
      absl::StrContains(SniffMediaType("PK\x03\x04 docx", false).status().message(), "ZIP/Office"));
}

TEST(DecideEligibility, EveryModuleNeedsBothDocumentsSignedOff) {
  using S = v1::DocumentState;
  auto decide = [](std::vector<ModuleDocuments> m) {
    return DecideEligibility("people/a", 2023, m);
  };
  EXPECT_FALSE(decide({}).eligible());
  const auto ok =
      decide({{4, v1::SIGNED_OFF, v1::SIGNED_OFF}, {5, v1::SIGNED_OFF, v1::SIGNED_OFF, true}});
  EXPECT_TRUE(ok.eligible());
  EXPECT_EQ(ok.modules(1).missing_size(), 0);
  struct Case {
    S plan, report;
    std::vector<std::string> missing;
  };
  const std::vector<Case> cases = {
      {v1::DOCUMENT_STATE_UNSPECIFIED,
       v1::DOCUMENT_STATE_UNSPECIFIED,
       {"no plan yet", "no report yet"}},
      {v1::DRAFT, v1::DOCUMENT_STATE_UNSPECIFIED, {"plan not submitted", "no report yet"}},
      {v1::SUBMITTED, v1::DRAFT, {"plan waiting for the lecturer", "report not submitted"}},
      {v1::LECTURER_APPROVED, v1::DRAFT, {"plan waiting for sign-off", "report not submitted"}},
      {v1::SIGNED_OFF, v1::RETURNED, {"report returned: revise and resubmit"}},
      {v1::SIGNED_OFF, v1::LECTURER_APPROVED, {"report waiting for sign-off"}},
  };
  for (const Case& c : cases) {
    const auto e = decide({{4, v1::SIGNED_OFF, v1::SIGNED_OFF}, {9, c.plan, c.report}});
    EXPECT_FALSE(e.eligible());
    EXPECT_EQ(
        std::vector<std::string>(e.modules(1).missing().begin(), e.modules(1).missing().end()),
        c.missing);
  }
}

TEST(RenderHtml, TheOfficialFormWithEscapedContentAndTheVerdictBox) {
  v1::SupportDocument doc;
  *doc.mutable_content() =
      NewReport(Key(v1::REPORT), NewPlan(Key(), Facts(), absl::CivilDay(2023, 9, 15)), Counts(),
                false, absl::CivilDay(2023, 12, 20));
  doc.mutable_content()->mutable_rows(2)->add_sub_rows()->set_activity("Lớp ảo <script>x</script>");
  doc.set_version(3);
  doc.set_content_sha256(ContentSha256(doc.content()));
  RenderContext ctx;
  ctx.state = v1::LECTURER_APPROVED;
  ctx.lecturer_passed = true;
  ctx.lecturer_name = "TS. Lê Thị Bình";
  ctx.signer_title = "HIỆU TRƯỞNG";
  const std::string html = RenderHtml(doc, ctx);
  EXPECT_TRUE(absl::StartsWith(html, "<!DOCTYPE html>"));
  EXPECT_TRUE(absl::StrContains(html, "@page { size: A4 landscape"));
  EXPECT_TRUE(absl::StrContains(html, "Phụ lục 2."));
  EXPECT_TRUE(absl::StrContains(html, "Nguyễn Văn An"));
  EXPECT_TRUE(absl::StrContains(html, "Kết quả hoàn thành"));
  EXPECT_TRUE(absl::StrContains(html, "9 / 10 (90.0%)"));
  EXPECT_TRUE(absl::StrContains(html, "2.1.a"));
  EXPECT_TRUE(absl::StrContains(html, "&lt;script&gt;"));
  EXPECT_FALSE(absl::StrContains(html, "<script>"));
  EXPECT_TRUE(absl::StrContains(html, "Đạt <span class=\"box\">X</span>"));
  EXPECT_TRUE(absl::StrContains(html, "Chưa đạt <span class=\"box\"></span>"));
  EXPECT_TRUE(absl::StrContains(html, "HIỆU TRƯỞNG DUYỆT"));
  EXPECT_TRUE(absl::StrContains(html, "NGƯỜI BÁO CÁO"));
  EXPECT_TRUE(absl::StrContains(html, "ngày 20 tháng 12 năm 2023"));
  EXPECT_TRUE(absl::StrContains(html, doc.content_sha256()));
  // A plan has no result column.
  doc.mutable_content()->set_kind(v1::PLAN);
  EXPECT_FALSE(absl::StrContains(RenderHtml(doc, ctx), "Kết quả hoàn thành"));
  EXPECT_TRUE(absl::StrContains(RenderHtml(doc, ctx), "NGƯỜI LẬP KẾ HOẠCH"));
}

}  // namespace
}  // namespace bdtx::plans
