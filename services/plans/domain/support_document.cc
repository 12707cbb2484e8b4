#include "services/plans/domain/support_document.h"

#include <cmath>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/crypto/sha256.h"
#include "common/status/error_info.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/field_mask_util.h"

namespace bdtx::plans {
namespace {

namespace v1 = ::bdtx::v1;
using google::protobuf::util::FieldMaskUtil;

// Whose count a plan target is taken of.
enum class TargetOf { kAssigned, kOnLms };

struct RowSpec {
  const char* number;
  const char* activity;  // {m}: module, {y}: year
  int percent;
  TargetOf of;
  const char* expected;  // {n}: the count
};

// The standard rows of Appendix 1 (seed 000), shortened to what the form needs.
constexpr RowSpec kRows[] = {
    {"1.1", "Tiếp nhận danh sách GVPT/CBQLCSGDPT được phân công phụ trách", 100,
     TargetOf::kAssigned, "{n} GV/CBQLCSGDPT đại trà do Sở GDĐT phân công"},
    {"1.2", "Hỗ trợ đồng nghiệp hoàn thiện thông tin đăng ký tự học mô đun {m} trên hệ thống LMS",
     100, TargetOf::kOnLms,
     "100% ({n}) GVPT/CBQLCSGDPT được cấp quyền học trên LMS hoàn thành đăng ký, truy cập học "
     "liệu mô đun {m}"},
    {"2.1",
     "Hỗ trợ trên hệ thống LMS: thảo luận, góp ý, bài tập, nhắc hoàn thành bài tập, khảo sát, "
     "trao đổi với giảng viên",
     100, TargetOf::kOnLms,
     "100% ({n}) GVPT/CBQLCSGDPT tham gia lớp học ảo, thảo luận trên LMS; 100% thắc mắc được "
     "giải đáp trong tuần"},
    {"2.2", "Các hoạt động hỗ trợ trực tuyến khác: diễn đàn, nhóm Zalo, email, lớp học ảo", 100,
     TargetOf::kAssigned,
     "100% ({n}) GVPT/CBQLCSGDPT được tham gia; 100% thắc mắc được giải đáp trong tuần"},
    {"2.3", "Hỗ trợ trực tiếp: sinh hoạt chuyên môn, cụm trường", 100, TargetOf::kAssigned,
     "100% ({n}) GVPT/CBQLCSGDPT tham gia hoạt động chuyên môn trực tiếp; 100% thắc mắc được "
     "giải đáp trong tuần"},
    {"3.1", "Đôn đốc, hỗ trợ hoàn thành bài kiểm tra trắc nghiệm mô đun {m}", 100, TargetOf::kOnLms,
     "100% ({n}) GVPT/CBQLCSGDPT hoàn thành bài kiểm tra trắc nghiệm"},
    {"3.2", "Chấm bài tập hoàn thành mô đun {m}", 100, TargetOf::kAssigned,
     "100% ({n}) bài tập hoàn thành mô đun được chấm; 3 bài được giảng viên góp ý cách chấm"},
    {"4.1", "Đôn đốc, hỗ trợ hoàn thành phiếu khảo sát cuối mô đun {m}", 100, TargetOf::kAssigned,
     "100% ({n}) GVPT/CBQLCSGDPT hoàn thành khảo sát cuối mô đun {m}"},
    {"4.2", "Đôn đốc, hỗ trợ hoàn thành phiếu khảo sát về chương trình bồi dưỡng năm {y}", 100,
     TargetOf::kAssigned, "100% ({n}) GVPT/CBQLCSGDPT hoàn thành khảo sát chương trình"},
    {"5.1", "Xác nhận đồng nghiệp hoàn thành mô đun {m} trên hệ thống LMS", 80, TargetOf::kOnLms,
     "80% ({n}) GVPT/CBQLCSGDPT tham gia học trên LMS hoàn thành mô đun {m}"},
};

const RowSpec* SpecOf(absl::string_view number) {
  for (const RowSpec& spec : kRows) {
    if (number == spec.number) return &spec;
  }
  return nullptr;
}

std::string Fill(const char* text, const DocumentKey& key, int64_t n) {
  return absl::StrReplaceAll(text, {{"{m}", absl::StrCat(key.module)},
                                    {"{y}", absl::StrCat(key.year)},
                                    {"{n}", absl::StrCat(n)}});
}

bool IsValidDay(const v1::Date& d) {
  if (d.month() < 1 || d.month() > 12 || d.day() < 1 || d.day() > 31) return false;
  const absl::CivilDay day(d.year(), d.month(), d.day());
  return day.year() == d.year() && day.month() == d.month() && day.day() == d.day();
}

double Percent(int64_t count, int64_t base) {
  if (base <= 0) return 0;
  return std::round(static_cast<double>(count) * 1000.0 / static_cast<double>(base)) / 10.0;
}

bool IsManager(const v1::Person& p) {
  for (int r : p.roles()) {
    if (r == v1::CORE_MANAGER) return true;
  }
  return false;
}

// Collects violations; Status() turns them into INVALID_ARGUMENT with a BadRequest.
class Violations {
 public:
  void Add(std::string field, std::string description) {
    list_.push_back({std::move(field), std::move(description)});
  }
  bool empty() const { return list_.empty(); }
  absl::Status Status(absl::string_view what) const {
    if (list_.empty()) return absl::OkStatus();
    std::vector<std::string> parts;
    for (const auto& [field, description] : list_) parts.push_back(field + ": " + description);
    absl::Status s = absl::InvalidArgumentError(
        absl::StrCat(what, " has ", list_.size(), " problem(s): ", absl::StrJoin(parts, "; ")));
    return WithBadRequest(std::move(s), list_);
  }

 private:
  std::vector<std::pair<std::string, std::string>> list_;
};

void CheckWindow(const v1::Date& from, const v1::Date& to, const YearWindow& year,
                 const std::string& path, bool required, Violations& v) {
  const bool has_from = IsSet(from), has_to = IsSet(to);
  if (required && !has_from) v.Add(path + ".from", "set when the activity starts");
  if (required && !has_to) v.Add(path + ".to", "set when the activity ends");
  if (has_from != has_to && !required) {
    v.Add(path + (has_from ? ".to" : ".from"), "a window needs both from and to");
  }
  bool valid = true;
  for (const auto& [date, name] : {std::pair{&from, ".from"}, std::pair{&to, ".to"}}) {
    if (!IsSet(*date)) continue;
    if (!IsValidDay(*date)) {
      v.Add(path + name, absl::StrFormat("%04d-%02d-%02d is not a calendar date", date->year(),
                                         date->month(), date->day()));
      valid = false;
      continue;
    }
    const absl::CivilDay day = ToDay(*date);
    if (day < year.first || day > year.last) {
      v.Add(path + name,
            year.last == absl::CivilDay::max()
                ? absl::StrFormat("%s is before the BDTX year (from %s)", DateText(*date),
                                  DateText(FromDay(year.first)))
                : absl::StrFormat("%s is outside the BDTX year (%s to %s)", DateText(*date),
                                  DateText(FromDay(year.first)), DateText(FromDay(year.last))));
    }
  }
  if (valid && has_from && has_to && ToDay(from) > ToDay(to)) {
    v.Add(path + ".to",
          absl::StrFormat("ends (%s) before it starts (%s)", DateText(to), DateText(from)));
  }
}

void CheckCount(int64_t count, const std::string& path, Violations& v) {
  if (count < 0) v.Add(path, "cannot be negative");
}

}  // namespace

bool TakesSubRows(absl::string_view row) { return row == "2.1" || row == "2.2" || row == "2.3"; }

YearWindow WindowOfYear(int year) {
  return {absl::CivilDay(year, 1, 1), absl::CivilDay(year + 1, 6, 30)};
}

absl::CivilDay ToDay(const v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

v1::Date FromDay(absl::CivilDay day) {
  v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

bool IsSet(const v1::Date& date) {
  return date.year() != 0 || date.month() != 0 || date.day() != 0;
}

std::string DateText(const v1::Date& date) {
  if (!IsSet(date)) return "";
  return absl::StrFormat("%02d/%02d/%04d", date.day(), date.month(), date.year());
}

v1::DocumentContent NewPlan(const DocumentKey& key, const AuthorFacts& facts,
                            absl::CivilDay today) {
  v1::DocumentContent c;
  c.set_name(key.Name());
  c.set_author(key.author);
  c.set_kind(v1::PLAN);
  c.set_year(key.year);
  c.set_module(key.module);
  v1::Header* h = c.mutable_header();
  h->set_author_name(facts.person.display_name());
  const bool manager = IsManager(facts.person);
  h->set_position(manager
                      ? "CBQLCSGDPT cốt cán"
                      : absl::StrCat("GVPT cốt cán", facts.person.subject().empty() ? "" : " – ",
                                     facts.person.subject()));
  h->set_school(facts.school_name);
  h->set_school_unit(facts.person.home_unit());

  const YearWindow year = WindowOfYear(key.year);
  const absl::CivilDay from = today < year.first || today > year.last ? year.first : today;
  std::vector<std::string> coordinators;
  if (!facts.lecturer_name.empty()) {
    coordinators.push_back(
        absl::StrCat(manager ? "GVQLGD chủ chốt: " : "GVSP chủ chốt: ", facts.lecturer_name));
  }
  if (!facts.principal_name.empty()) {
    coordinators.push_back(absl::StrCat("Hiệu trưởng: ", facts.principal_name));
  }
  coordinators.push_back("Tổ trưởng chuyên môn");
  for (const RowSpec& spec : kRows) {
    v1::Row* row = c.add_rows();
    row->set_number(spec.number);
    row->set_activity(Fill(spec.activity, key, 0));
    // LMS access is granted by the Sở's contract with the LMS provider and may be
    // smaller; until it is known the author plans for everyone assigned.
    const int64_t n = facts.assigned;
    row->mutable_target()->set_percent(spec.percent);
    row->mutable_target()->set_count(n);
    row->mutable_target()->set_description(Fill(spec.expected, key, n));
    *row->mutable_from() = FromDay(from);
    *row->mutable_to() = FromDay(year.last);
    for (const std::string& who : coordinators) row->add_coordinators(who);
  }
  return c;
}

v1::DocumentContent NewReport(const DocumentKey& key, const v1::DocumentContent& plan,
                              const v1::SupportCountsResponse& counts, bool not_deployed,
                              absl::CivilDay report_date) {
  v1::DocumentContent c = plan;
  c.set_name(key.Name());
  c.set_kind(v1::REPORT);
  *c.mutable_report_date() = FromDay(report_date);
  for (v1::Row& row : *c.mutable_rows()) row.clear_result();
  ApplyCounts(counts, c);
  if (not_deployed) MarkNotDeployed(c);
  return c;
}

void ApplyCounts(const v1::SupportCountsResponse& counts, v1::DocumentContent& report) {
  report.set_not_deployed(false);
  absl::flat_hash_map<std::string, const v1::RowCount*> by_row;
  for (const v1::RowCount& rc : counts.rows()) by_row[rc.row()] = &rc;
  for (v1::Row& row : *report.mutable_rows()) {
    v1::Result* r = row.mutable_result();
    if (r->source() == v1::NOT_DEPLOYED) {
      r->clear_text();
      r->set_count(0);
    }
    if (auto it = by_row.find(row.number()); it != by_row.end()) {
      r->set_count(it->second->count());
      r->set_base(it->second->base());
      r->set_base_meaning(it->second->base_meaning());
      r->set_source(v1::FROM_GRADING);
    } else if (row.number() == "1.1") {
      r->set_count(counts.assigned());
      r->set_base(counts.assigned());
      r->set_base_meaning("colleagues assigned by the Sở");
      r->set_source(v1::FROM_DIRECTORY);
    } else {
      r->set_base(counts.assigned());
      r->set_base_meaning("colleagues assigned by the Sở");
      r->set_source(v1::MANUAL);
    }
  }
  Recompute(report);
}

void ApplySupportCounts(const v1::SupportReportCounts& support, v1::DocumentContent& report) {
  if (report.not_deployed()) return;
  for (const v1::SupportReportRow& s : support.rows()) {
    for (v1::Row& row : *report.mutable_rows()) {
      if (row.number() != s.number()) continue;
      v1::Result* r = row.mutable_result();
      const bool grading_counted = r->source() == v1::FROM_GRADING;
      if (!grading_counted) {
        r->set_count(s.participants());
        r->set_base(s.colleagues());
        r->set_base_meaning("colleagues of the support group (support service)");
        r->set_source(v1::FROM_SUPPORT);
      }
      v1::QuestionCounts* q = r->mutable_questions();
      q->set_asked(s.questions());
      q->set_answered_by_core_member(s.answered_by_core_member_in_week());
      q->set_escalated_answered_by_lecturer(s.escalated_answered_by_lecturer_in_week());
      q->set_source(v1::FROM_SUPPORT);
    }
  }
  Recompute(report);
}

void MarkNotDeployed(v1::DocumentContent& report) {
  report.set_not_deployed(true);
  for (v1::Row& row : *report.mutable_rows()) {
    v1::Result* r = row.mutable_result();
    r->set_source(v1::NOT_DEPLOYED);
    r->set_text(kNotDeployedText);
    r->set_count(0);
    r->set_percent(0);
    r->clear_questions();
    *row.mutable_from() = report.report_date();
    *row.mutable_to() = report.report_date();
    row.clear_sub_rows();
  }
}

void Recompute(v1::DocumentContent& content) {
  for (v1::Row& row : *content.mutable_rows()) {
    if (!row.has_result()) continue;
    v1::Result* r = row.mutable_result();
    r->set_percent(r->source() == v1::NOT_DEPLOYED ? 0 : Percent(r->count(), r->base()));
    if (r->has_questions()) {
      v1::QuestionCounts* q = r->mutable_questions();
      q->set_answered_percent(
          Percent(q->answered_by_core_member() + q->escalated_answered_by_lecturer(), q->asked()));
    }
  }
}

absl::Status Validate(const v1::DocumentContent& content, bool for_submission) {
  Violations v;
  const YearWindow year = WindowOfYear(content.year());
  const bool report = content.kind() == v1::REPORT;
  std::set<std::string> seen;
  for (int i = 0; i < content.rows_size(); ++i) {
    const v1::Row& row = content.rows(i);
    const std::string path = absl::StrCat("rows[", i, "]");
    if (SpecOf(row.number()) == nullptr) {
      v.Add(path + ".number", absl::StrCat("'", row.number(), "' is not a row of the form (",
                                           absl::StrJoin(kRowNumbers, ", "), ")"));
    } else if (!seen.insert(row.number()).second) {
      v.Add(path + ".number", absl::StrCat("row ", row.number(), " appears twice"));
    }
    if (for_submission && row.activity().empty())
      v.Add(path + ".activity", "describe the activity");
    if (row.target().percent() < 0 || row.target().percent() > 100) {
      v.Add(path + ".target.percent",
            absl::StrCat(row.target().percent(), " is not a percentage (0 to 100)"));
    }
    CheckCount(row.target().count(), path + ".target.count", v);
    const bool not_deployed_row = row.result().source() == v1::NOT_DEPLOYED;
    // A module that was not run is reported dated the reporting day (seed 001: "chọn
    // thời gian là ngày báo cáo"), which may be any day after the module's year: only
    // reports of modules that were run keep their windows inside the programme year.
    const YearWindow row_year = not_deployed_row && content.not_deployed()
                                    ? YearWindow{year.first, absl::CivilDay::max()}
                                    : year;
    CheckWindow(row.from(), row.to(), row_year, path, for_submission && !not_deployed_row, v);
    if (!TakesSubRows(row.number()) && row.sub_rows_size() > 0) {
      v.Add(path + ".sub_rows",
            absl::StrCat("only rows 2.1, 2.2 and 2.3 take sub-rows, not ", row.number()));
    }
    for (int j = 0; j < row.sub_rows_size(); ++j) {
      const v1::SubRow& sub = row.sub_rows(j);
      const std::string sub_path = absl::StrCat(path, ".sub_rows[", j, "]");
      if (sub.activity().empty()) v.Add(sub_path + ".activity", "name the concrete activity");
      CheckWindow(sub.from(), sub.to(), year, sub_path, false, v);
    }
    if (!report) {
      if (row.has_result()) v.Add(path + ".result", "only a report has results");
      continue;
    }
    const v1::Result& r = row.result();
    CheckCount(r.count(), path + ".result.count", v);
    if (r.count() > r.base() && !not_deployed_row) {
      v.Add(path + ".result.count", absl::StrCat(r.count(), " is more than its base (", r.base(),
                                                 " ", r.base_meaning(), ")"));
    }
    if (not_deployed_row && !content.not_deployed()) {
      v.Add(path + ".result", "says 'Chưa triển khai' but the report is not marked not deployed");
    }
    if (r.has_questions()) {
      const v1::QuestionCounts& q = r.questions();
      CheckCount(q.asked(), path + ".result.questions.asked", v);
      CheckCount(q.answered_by_core_member(), path + ".result.questions.answered_by_core_member",
                 v);
      CheckCount(q.escalated_answered_by_lecturer(),
                 path + ".result.questions.escalated_answered_by_lecturer", v);
      if (q.answered_by_core_member() + q.escalated_answered_by_lecturer() > q.asked()) {
        v.Add(path + ".result.questions",
              absl::StrCat("more answers (",
                           q.answered_by_core_member() + q.escalated_answered_by_lecturer(),
                           ") than questions asked (", q.asked(), ")"));
      }
    }
  }
  if (for_submission) {
    for (const char* number : kRowNumbers) {
      if (!seen.count(number)) v.Add("rows", absl::StrCat("row ", number, " is required"));
    }
  }
  if (report) {
    if (!IsSet(content.report_date())) {
      if (for_submission) v.Add("report_date", "date the report");
    } else if (!IsValidDay(content.report_date())) {
      v.Add("report_date", "not a calendar date");
    } else if (ToDay(content.report_date()) < year.first) {
      v.Add("report_date", absl::StrCat("a report of ", content.year(), " cannot be dated before ",
                                        DateText(FromDay(year.first))));
    }
  } else if (IsSet(content.report_date()) || content.not_deployed()) {
    v.Add(IsSet(content.report_date()) ? "report_date" : "not_deployed",
          "only a report has this field");
  }
  return v.Status(absl::StrCat(content.name(), for_submission ? " (for submission)" : ""));
}

absl::StatusOr<v1::DocumentContent> ApplyEdit(const v1::DocumentContent& current,
                                              const v1::DocumentContent& patch,
                                              const google::protobuf::FieldMask& mask) {
  const bool report = current.kind() == v1::REPORT;
  std::set<std::string> editable = {"header.position", "rows"};
  if (report) editable.insert({"report_date", "not_deployed"});
  Violations v;
  if (mask.paths().empty()) v.Add("update_mask", "name the fields to change (e.g. rows)");
  for (const std::string& path : mask.paths()) {
    if (!editable.count(path)) {
      v.Add(
          "update_mask",
          absl::StrCat("'", path, "' cannot be edited; editable: ", absl::StrJoin(editable, ", ")));
    }
  }
  if (!v.empty()) return v.Status("the update");

  v1::DocumentContent next = current;
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(patch, mask, options, &next);

  if (report) {
    absl::flat_hash_map<std::string, const v1::Result*> before;
    int64_t assigned = 0;
    for (const v1::Row& row : current.rows()) {
      before[row.number()] = &row.result();
      if (row.number() == "1.1") assigned = row.result().base();
    }
    for (int i = 0; i < next.rows_size(); ++i) {
      v1::Result* r = next.mutable_rows(i)->mutable_result();
      auto it = before.find(next.rows(i).number());
      if (it == before.end()) {
        r->set_source(v1::MANUAL);
        r->set_base(assigned);
        r->set_base_meaning("colleagues assigned by the Sở");
        continue;
      }
      const v1::Result& old = *it->second;
      if (old.source() != v1::MANUAL && old.source() != v1::NOT_DEPLOYED &&
          r->count() != old.count()) {
        v.Add(absl::StrCat("rows[", i, "].result.count"),
              absl::StrCat("row ", next.rows(i).number(), " is counted by ",
                           old.source() == v1::FROM_GRADING   ? "grading"
                           : old.source() == v1::FROM_SUPPORT ? "the support service"
                                                              : "the directory",
                           " (", old.count(), "); RefreshReportCounts re-reads it"));
      }
      r->set_base(old.base());
      r->set_base_meaning(old.base_meaning());
      r->set_source(old.source());
      if (old.source() == v1::NOT_DEPLOYED) r->set_text(old.text());
      // Question figures counted by the support service are not typed either.
      if (old.questions().source() == v1::FROM_SUPPORT) *r->mutable_questions() = old.questions();
    }
    if (!v.empty()) return v.Status("the update");
    if (next.not_deployed()) MarkNotDeployed(next);
  }
  Recompute(next);
  if (absl::Status s = Validate(next, /*for_submission=*/false); !s.ok()) return s;
  return next;
}

std::string ContentSha256(const v1::DocumentContent& content) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    content.SerializeToCodedStream(&coded);
  }
  return Sha256Hex(bytes);
}

absl::StatusOr<std::string> SniffMediaType(absl::string_view head, bool whole_file) {
  if (absl::StartsWith(head, "%PDF-")) return std::string("application/pdf");
  if (absl::StartsWith(head, absl::string_view("\xFF\xD8\xFF", 3))) {
    return std::string("image/jpeg");
  }
  if (absl::StartsWith(head, absl::string_view("\x89PNG\r\n\x1A\n", 8))) {
    return std::string("image/png");
  }
  if (head.size() < 8 && !whole_file) {
    return absl::InvalidArgumentError("cần ít nhất 8 byte đầu để nhận biết loại tệp");
  }
  std::string looks = "nội dung không rõ";
  if (absl::StartsWith(head, "PK\x03\x04")) looks = "tệp ZIP/Office";
  if (absl::StartsWith(head, "GIF8")) looks = "ảnh GIF";
  if (absl::StartsWith(head, "<") || absl::StartsWith(head, "\xEF\xBB\xBF<")) {
    looks = "văn bản HTML/XML";
  }
  if (absl::StartsWith(head, absl::string_view("\xD0\xCF\x11\xE0", 4))) {
    looks = "tệp Office cũ";
  }
  return WithErrorInfo(
      absl::InvalidArgumentError(absl::StrCat(
          "bản quét đính kèm phải là tệp PDF, JPEG hoặc PNG; tệp này có phần đầu giống ", looks)),
      "ATTACHMENT_TYPE");
}

v1::Eligibility DecideEligibility(const std::string& core_member, int year,
                                  const std::vector<ModuleDocuments>& modules) {
  v1::Eligibility out;
  out.set_core_member(core_member);
  out.set_year(year);
  bool eligible = !modules.empty();
  auto need = [](v1::DocumentState s, const char* what, v1::ModuleEligibility* m) {
    switch (s) {
      case v1::SIGNED_OFF:
        return true;
      case v1::DOCUMENT_STATE_UNSPECIFIED:
        m->add_missing(absl::StrCat("no ", what, " yet"));
        break;
      case v1::DRAFT:
        m->add_missing(absl::StrCat(what, " not submitted"));
        break;
      case v1::SUBMITTED:
        m->add_missing(absl::StrCat(what, " waiting for the lecturer"));
        break;
      case v1::RETURNED:
        m->add_missing(absl::StrCat(what, " returned: revise and resubmit"));
        break;
      case v1::LECTURER_APPROVED:
        m->add_missing(absl::StrCat(what, " waiting for sign-off"));
        break;
      default:
        m->add_missing(absl::StrCat(what, " in an unknown state"));
    }
    return false;
  };
  for (const ModuleDocuments& d : modules) {
    v1::ModuleEligibility* m = out.add_modules();
    m->set_module(d.module);
    m->set_plan_state(d.plan);
    m->set_report_state(d.report);
    m->set_report_not_deployed(d.report_not_deployed);
    const bool plan_ok = need(d.plan, "plan", m);
    const bool report_ok = need(d.report, "report", m);
    eligible = eligible && plan_ok && report_ok;
  }
  out.set_eligible(eligible);
  return out;
}

}  // namespace bdtx::plans
