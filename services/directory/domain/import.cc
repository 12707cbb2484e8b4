#include "services/directory/domain/import.h"

#include <map>
#include <optional>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/csv/csv.h"
#include "common/mail/address.h"
#include "common/text/unicode.h"
#include "services/directory/domain/routing.h"

namespace bdtx::directory {
using csv::CsvField;
using csv::CsvRow;
using csv::CsvTable;
using csv::IsValidUtf8;
using csv::ParseCsv;
namespace {

using bdtx::v1::ImportKind;

constexpr int kMaxReportedErrors = 50;

struct ColumnSpec {
  const char* name;
  bool required;
};

std::vector<ColumnSpec> Spec(ImportKind kind) {
  switch (kind) {
    case bdtx::v1::UNITS:
      return {{"id", true},
              {"code", false},
              {"name", true},
              {"kind", true},
              {"parent_id", false},
              {"level", false},
              {"university_kind", false}};
    case bdtx::v1::PEOPLE:
      return {{"id", true},     {"code", false},        {"full_name", true},
              {"roles", true},  {"home_unit_id", true}, {"subject", false},
              {"level", false}, {"email", false},       {"status", false}};
    case bdtx::v1::CLASSES:
      return {{"id", true},   {"code", false},  {"name", true},
              {"year", true}, {"module", true}, {"unit_id", true}};
    case bdtx::v1::ASSIGNMENTS:
      return {{"year", true}, {"module", true}, {"kind", true}, {"from_id", true}, {"to_id", true}};
    default:
      return {};
  }
}

// A keyword as compared without regard to case (full Unicode folding: Đ/đ, Ư/ư, Ạ/ạ).
// Cells are valid NFC UTF-8 already (common/csv); on the impossible failure the text
// stays as it is and simply matches nothing.
std::string Folded(absl::string_view s) {
  absl::StatusOr<std::string> folded = text::FoldCase(s);
  return folded.ok() ? *std::move(folded) : std::string(s);
}

bool ValidId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// One table per enum gives both directions: the first spelling is what export writes;
// every spelling (case-insensitive) is accepted on import.
template <typename Enum>
struct Spelling {
  Enum value;
  std::vector<absl::string_view> texts;
};

const std::vector<Spelling<bdtx::v1::UnitKind>>& UnitKinds() {
  static const auto* table = new std::vector<Spelling<bdtx::v1::UnitKind>>{
      {bdtx::v1::MINISTRY, {"ministry", "Bộ"}},
      {bdtx::v1::PROVINCE_DEPARTMENT, {"department", "Sở"}},
      {bdtx::v1::DISTRICT_OFFICE, {"district", "Phòng"}},
      {bdtx::v1::SCHOOL, {"school", "Trường"}},
      {bdtx::v1::UNIVERSITY, {"university"}},
  };
  return *table;
}

const std::vector<Spelling<bdtx::v1::SchoolLevel>>& SchoolLevels() {
  static const auto* table = new std::vector<Spelling<bdtx::v1::SchoolLevel>>{
      {bdtx::v1::PRIMARY, {"TH"}},
      {bdtx::v1::LOWER_SECONDARY, {"THCS"}},
      {bdtx::v1::UPPER_SECONDARY, {"THPT"}},
      {bdtx::v1::PRIMARY_AND_LOWER_SECONDARY, {"TH&THCS"}},
      {bdtx::v1::LOWER_AND_UPPER_SECONDARY, {"THCS&THPT"}},
      {bdtx::v1::CONTINUING_EDUCATION, {"GDTX", "GDNN-GDTX"}},
  };
  return *table;
}

const std::vector<Spelling<bdtx::v1::UniversityKind>>& UniversityKinds() {
  static const auto* table = new std::vector<Spelling<bdtx::v1::UniversityKind>>{
      {bdtx::v1::PEDAGOGICAL_UNIVERSITY, {"DHSP", "ĐHSP"}},
      {bdtx::v1::ACADEMY_OF_EDUCATIONAL_MANAGEMENT, {"HVQLGD"}},
  };
  return *table;
}

template <typename Enum>
std::optional<Enum> ParseSpelling(const std::vector<Spelling<Enum>>& table, absl::string_view s) {
  for (const auto& entry : table) {
    for (absl::string_view text : entry.texts) {
      // Vietnamese letters fold too ("TRƯỜNG" is "Trường"); both sides are NFC.
      if (text::EqualsIgnoringCase(text, s)) return entry.value;
    }
  }
  return std::nullopt;
}

template <typename Enum>
std::string SpellingOf(const std::vector<Spelling<Enum>>& table, Enum value) {
  for (const auto& entry : table) {
    if (entry.value == value) return std::string(entry.texts.front());
  }
  return "";
}

std::optional<bdtx::v1::UnitKind> ParseUnitKind(absl::string_view s) {
  return ParseSpelling(UnitKinds(), s);
}
std::optional<bdtx::v1::SchoolLevel> ParseLevel(absl::string_view s) {
  return ParseSpelling(SchoolLevels(), s);
}
std::optional<bdtx::v1::UniversityKind> ParseUniversityKind(absl::string_view s) {
  return ParseSpelling(UniversityKinds(), s);
}

bool HasRole(const Person& p, Role role) {
  return std::find(p.roles().begin(), p.roles().end(), role) != p.roles().end();
}

// Collects errors of one file; each names line and column.
class Errors {
 public:
  explicit Errors(absl::string_view file) : file_(file) {}
  void Add(int line, int column, absl::string_view what) {
    ++count_;
    errors_.emplace(line, column, std::string(what));
  }
  bool empty() const { return count_ == 0; }
  absl::Status ToStatus() const {
    std::string header = absl::StrCat(count_, " lỗi trong ", file_, "; chưa nhập gì");
    if (count_ > kMaxReportedErrors)
      absl::StrAppend(&header, " (hiện ", kMaxReportedErrors, " lỗi đầu)");
    std::vector<std::string> lines;
    for (const auto& [line, column, what] : errors_) {
      if (lines.size() == kMaxReportedErrors) break;
      lines.push_back(absl::StrCat(file_, ":", line, ":", column, ": ", what));
    }
    return absl::InvalidArgumentError(absl::StrCat(header, ":\n", absl::StrJoin(lines, "\n")));
  }

 private:
  std::string file_;
  int count_ = 0;
  std::multiset<std::tuple<int, int, std::string>> errors_;  // reported in file order
};

// Every cell of a directory file is one line: a name, code or subject shown to people
// (in mail subjects, webhooks, logs), an id or a keyword. A control character there (a
// quoted CR LF that would start a new header line, a tab, C1 codes) or a megabyte-long
// "name" is a mistake or an attack, never data; 256 characters hold the longest unit
// name and every role at once.
constexpr size_t kMaxCellChars = 256;

std::optional<std::string> BadCell(absl::string_view cell) {
  size_t chars = 0;
  for (size_t i = 0; i < cell.size(); ++i) {
    const auto u = static_cast<unsigned char>(cell[i]);
    const bool c1 = u == 0xC2 && i + 1 < cell.size() &&
                    static_cast<unsigned char>(cell[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(cell[i + 1]) <= 0x9F;  // U+0080..U+009F
    if (u < 0x20 || u == 0x7F || c1) {
      return "ô chứa ký tự điều khiển (xuống dòng, tab...); mỗi giá trị phải nằm trên một "
             "dòng";
    }
    if ((u & 0xC0) != 0x80) ++chars;  // count characters, not bytes
  }
  if (chars > kMaxCellChars) {
    return absl::StrCat("ô dài ", chars, " ký tự, tối đa ", kMaxCellChars, " ký tự");
  }
  return std::nullopt;
}

// Free text of a directory file (names, codes, subjects) is exported again as CSV
// (`bdtxctl directory export`, grading's recognition export) and opened in Excel, which
// runs a cell that starts with = + - @ as a formula (=HYPERLINK(...) sends other cells
// to any server: OWASP "CSV injection"). No name, code or subject starts so.
bool IsFreeTextColumn(absl::string_view column) {
  return column == "name" || column == "full_name" || column == "code" || column == "subject";
}

std::optional<std::string> FormulaCell(absl::string_view cell) {
  cell = absl::StripLeadingAsciiWhitespace(cell);
  if (cell.empty() || absl::string_view("=+-@").find(cell.front()) == absl::string_view::npos) {
    return std::nullopt;
  }
  return absl::StrCat("ô bắt đầu bằng dấu '", cell.substr(0, 1),
                      "', Excel sẽ chạy như công thức khi danh bạ được xuất ra");
}

// Gives named access to the fields of one row.
class Row {
 public:
  Row(const CsvRow& row, const std::map<std::string, int>& columns)
      : row_(row), columns_(columns) {}
  int line() const { return row_.line; }
  // 1-based column number of `name` (0 when the file lacks the column).
  int col(const std::string& name) const {
    auto it = columns_.find(name);
    return it == columns_.end() ? 0 : it->second + 1;
  }
  std::string get(const std::string& name) const {
    auto it = columns_.find(name);
    if (it == columns_.end() || it->second >= static_cast<int>(row_.fields.size())) return "";
    return std::string(absl::StripAsciiWhitespace(row_.fields[it->second]));
  }

 private:
  const CsvRow& row_;
  const std::map<std::string, int>& columns_;
};

// Unit lookups that see the file's own rows before the stored directory.
class Overlay {
 public:
  explicit Overlay(const DirectoryView& view) : view_(view) {}
  absl::flat_hash_map<std::string, Unit> units;
  std::optional<Unit> FindUnit(const std::string& id) const {
    if (auto it = units.find(id); it != units.end()) return it->second;
    return view_.FindUnit(id);
  }

 private:
  const DirectoryView& view_;
};

// A code given to a record in a file.
struct CodeUse {
  std::string code;
  std::string id;
  int line = 0;
  int column = 0;
};

// Codes are unique across the whole directory, not only inside one file: a code stored
// for another record stays with it unless this file gives that record another code.
template <typename Lookup>
void CheckCodesAcrossDirectory(absl::string_view what, absl::string_view prefix,
                               const std::vector<CodeUse>& codes,
                               const absl::flat_hash_map<std::string, int>& ids_in_file,
                               Errors& errors, Lookup holder_of) {
  for (const CodeUse& use : codes) {
    std::optional<std::string> holder = holder_of(use.code);
    if (!holder || *holder == use.id || ids_in_file.contains(*holder)) continue;
    errors.Add(use.line, use.column,
               absl::StrCat("mã ", what, " ", use.code, " đã thuộc về ", prefix, *holder,
                            " (mã là duy nhất trong cả danh bạ và không phân biệt hoa thường: "
                            "đổi mã của ",
                            prefix, *holder, " trước, hoặc dùng mã khác)"));
  }
}

void PlanUnits(const std::vector<Row>& rows, const DirectoryView& view, Errors& errors,
               ImportPlan& plan) {
  Overlay overlay(view);
  absl::flat_hash_map<std::string, int> first_line;
  absl::flat_hash_map<std::string, int> code_line;
  std::vector<CodeUse> codes;
  std::vector<std::pair<int, int>> parent_checks;  // (row index, line)
  for (const Row& r : rows) {
    Unit unit;
    const std::string id = r.get("id");
    if (!ValidId(id)) {
      errors.Add(r.line(), r.col("id"),
                 absl::StrCat("id '", id, "' phải gồm 1-64 ký tự A-Z a-z 0-9 - _ ."));
      continue;
    }
    if (auto [it, fresh] = first_line.emplace(id, r.line()); !fresh) {
      errors.Add(r.line(), r.col("id"),
                 absl::StrCat("id đơn vị ", id, " bị trùng (đã có ở dòng ", it->second, ")"));
      continue;
    }
    unit.set_name(UnitName(id));
    unit.set_code(r.get("code"));
    if (!unit.code().empty()) {
      if (auto [it, fresh] = code_line.emplace(CodeKey(unit.code()), r.line()); !fresh) {
        errors.Add(r.line(), r.col("code"),
                   absl::StrCat("mã đơn vị ", unit.code(), " bị trùng (đã có ở dòng ", it->second,
                                "; mã so sánh không phân biệt hoa thường)"));
      }
      codes.push_back({unit.code(), id, r.line(), r.col("code")});
    }
    unit.set_display_name(r.get("name"));
    if (unit.display_name().empty()) errors.Add(r.line(), r.col("name"), "tên (name) đang trống");
    std::optional<bdtx::v1::UnitKind> kind = ParseUnitKind(r.get("kind"));
    if (!kind) {
      errors.Add(r.line(), r.col("kind"),
                 absl::StrCat("loại đơn vị '", r.get("kind"),
                              "' không có (ministry, department, district, school, university)"));
      continue;
    }
    unit.set_kind(*kind);
    if (!r.get("parent_id").empty()) unit.set_parent(UnitName(r.get("parent_id")));
    if (*kind == bdtx::v1::SCHOOL) {
      std::optional<bdtx::v1::SchoolLevel> level = ParseLevel(r.get("level"));
      if (!level) {
        errors.Add(r.line(), r.col("level") ? r.col("level") : r.col("kind"),
                   absl::StrCat("cấp học '", r.get("level"),
                                "' phải là TH, THCS, THPT, TH&THCS, THCS&THPT hoặc GDTX"));
      } else {
        unit.set_school_level(*level);
      }
    }
    if (*kind == bdtx::v1::UNIVERSITY && !r.get("university_kind").empty()) {
      std::optional<bdtx::v1::UniversityKind> uk = ParseUniversityKind(r.get("university_kind"));
      if (!uk) {
        errors.Add(r.line(), r.col("university_kind"),
                   absl::StrCat("loại trường đại học '", r.get("university_kind"),
                                "' phải là DHSP hoặc HVQLGD"));
      } else {
        unit.set_university_kind(*uk);
      }
    }
    if (unit.parent().empty() && *kind != bdtx::v1::MINISTRY && *kind != bdtx::v1::UNIVERSITY) {
      errors.Add(r.line(), r.col("parent_id"), "loại đơn vị này phải có parent_id");
    }
    overlay.units[id] = unit;
    parent_checks.emplace_back(static_cast<int>(plan.units.size()), r.line());
    plan.units.push_back(unit);
  }
  CheckCodesAcrossDirectory("đơn vị", "units/", codes, first_line, errors,
                            [&](const std::string& code) { return view.UnitIdByCode(code); });
  // Second pass: parents may appear later in the file.
  for (auto [index, line] : parent_checks) {
    const Unit& unit = plan.units[index];
    if (unit.parent().empty()) continue;
    const Row* row = nullptr;
    for (const Row& r : rows) {
      if (r.line() == line) row = &r;
    }
    const int column = row ? row->col("parent_id") : 0;
    std::optional<Unit> parent = overlay.FindUnit(BareId(unit.parent()));
    if (!parent) {
      errors.Add(line, column,
                 absl::StrCat("không có đơn vị cấp trên '", BareId(unit.parent()), "'"));
      continue;
    }
    const auto pk = parent->kind();
    bool ok = true;
    switch (unit.kind()) {
      case bdtx::v1::PROVINCE_DEPARTMENT:
        ok = pk == bdtx::v1::MINISTRY;
        break;
      case bdtx::v1::DISTRICT_OFFICE:
        ok = pk == bdtx::v1::PROVINCE_DEPARTMENT;
        break;
      case bdtx::v1::SCHOOL:
        ok = pk == bdtx::v1::DISTRICT_OFFICE || pk == bdtx::v1::PROVINCE_DEPARTMENT;
        break;
      default:
        break;
    }
    if (!ok) {
      errors.Add(line, column,
                 absl::StrCat("đơn vị loại ", UnitKindText(unit.kind()),
                              " không thể trực thuộc đơn vị loại ", UnitKindText(pk), " (",
                              parent->name(), ")"));
    }
    // No cycles: walking up must end.
    std::set<std::string> seen = {unit.name()};
    std::optional<Unit> up = parent;
    for (int depth = 0; up && depth < 16; ++depth) {
      if (!seen.insert(up->name()).second) {
        errors.Add(line, column,
                   absl::StrCat("chuỗi đơn vị cấp trên của ", unit.name(), " bị vòng lặp"));
        break;
      }
      up = up->parent().empty() ? std::nullopt : overlay.FindUnit(BareId(up->parent()));
    }
  }
}

void PlanPeople(const std::vector<Row>& rows, const DirectoryView& view, Errors& errors,
                ImportPlan& plan) {
  absl::flat_hash_map<std::string, int> first_line;
  absl::flat_hash_map<std::string, int> code_line;
  std::vector<CodeUse> codes;
  for (const Row& r : rows) {
    const std::string id = r.get("id");
    if (!ValidId(id)) {
      errors.Add(r.line(), r.col("id"),
                 absl::StrCat("id '", id, "' phải gồm 1-64 ký tự A-Z a-z 0-9 - _ ."));
      continue;
    }
    if (auto [it, fresh] = first_line.emplace(id, r.line()); !fresh) {
      errors.Add(r.line(), r.col("id"),
                 absl::StrCat("id người ", id, " bị trùng (đã có ở dòng ", it->second, ")"));
      continue;
    }
    Person person;
    person.set_name(PersonName(id));
    person.set_code(r.get("code"));
    if (!person.code().empty()) {
      if (auto [it, fresh] = code_line.emplace(CodeKey(person.code()), r.line()); !fresh) {
        errors.Add(r.line(), r.col("code"),
                   absl::StrCat("mã người ", person.code(), " bị trùng (đã có ở dòng ", it->second,
                                "; mã so sánh không phân biệt hoa thường)"));
      }
      codes.push_back({person.code(), id, r.line(), r.col("code")});
    }
    person.set_display_name(r.get("full_name"));
    if (person.display_name().empty())
      errors.Add(r.line(), r.col("full_name"), "họ tên (full_name) đang trống");
    bool bad_role = false;
    for (absl::string_view text : absl::StrSplit(r.get("roles"), ';', absl::SkipWhitespace())) {
      Role role;
      const std::string upper = absl::AsciiStrToUpper(Folded(absl::StripAsciiWhitespace(text)));
      if (!bdtx::v1::Role_Parse(upper, &role) || role == bdtx::v1::ROLE_UNSPECIFIED) {
        errors.Add(r.line(), r.col("roles"), absl::StrCat("vai trò '", text, "' không có"));
        bad_role = true;
        continue;
      }
      person.add_roles(role);
    }
    if (person.roles().empty() && !bad_role) {
      errors.Add(r.line(), r.col("roles"), "vai trò (roles) đang trống");
    }
    const std::string unit_id = r.get("home_unit_id");
    std::optional<Unit> home = view.FindUnit(unit_id);
    if (!home) {
      errors.Add(r.line(), r.col("home_unit_id"),
                 absl::StrCat("không có đơn vị '", unit_id, "' (hãy nhập đơn vị trước)"));
    } else {
      if (HasRole(person, bdtx::v1::PRINCIPAL) && home->kind() != bdtx::v1::SCHOOL) {
        errors.Add(r.line(), r.col("roles"),
                   absl::StrCat("đơn vị của hiệu trưởng (PRINCIPAL) phải là trường học, ",
                                home->name(), " không phải"));
      }
    }
    person.set_home_unit(UnitName(unit_id));
    person.set_subject(r.get("subject"));
    if (!r.get("level").empty()) {
      std::optional<bdtx::v1::SchoolLevel> level = ParseLevel(r.get("level"));
      if (!level) {
        errors.Add(r.line(), r.col("level"),
                   absl::StrCat("cấp học '", r.get("level"),
                                "' phải là TH, THCS, THPT, TH&THCS, THCS&THPT hoặc GDTX"));
      } else {
        person.set_level(*level);
      }
    }
    person.set_email(r.get("email"));
    // Validated here (and again before every send): "khong co email" or an address
    // carrying CR LF "RCPT TO:" never reaches the directory.
    if (!person.email().empty()) {
      if (absl::Status s = mail::ValidateAddress(person.email()); !s.ok()) {
        errors.Add(r.line(), r.col("email"), s.message());
      }
    }
    // `removed`: the person left; their record stays (history, documents) but every
    // service refuses their tokens (ADR 012). Empty or `active`: a current member.
    const std::string status = Folded(absl::StripAsciiWhitespace(r.get("status")));
    if (status == "removed") {
      person.set_removed(true);
    } else if (!status.empty() && status != "active") {
      errors.Add(r.line(), r.col("status"),
                 absl::StrCat("trạng thái '", r.get("status"), "' phải là active hoặc removed"));
    }
    plan.people.push_back(std::move(person));
  }
  CheckCodesAcrossDirectory("người", "people/", codes, first_line, errors,
                            [&](const std::string& code) { return view.PersonIdByCode(code); });
}

bool ParseYearModule(const Row& r, Errors& errors, int* year, int* module) {
  if (!absl::SimpleAtoi(r.get("year"), year)) {
    errors.Add(r.line(), r.col("year"), absl::StrCat("năm '", r.get("year"), "' không phải là số"));
    return false;
  }
  if (!absl::SimpleAtoi(r.get("module"), module)) {
    errors.Add(r.line(), r.col("module"),
               absl::StrCat("mô đun '", r.get("module"), "' không phải là số"));
    return false;
  }
  if (absl::Status s = ValidateYearModule(*year, *module); !s.ok()) {
    errors.Add(r.line(), r.col(*year < 2000 || *year > 2100 ? "year" : "module"), s.message());
    return false;
  }
  return true;
}

void PlanClasses(const std::vector<Row>& rows, const DirectoryView& view, Errors& errors,
                 ImportPlan& plan) {
  absl::flat_hash_map<std::string, int> first_line;
  absl::flat_hash_map<std::string, int> code_line;
  std::vector<CodeUse> codes;
  for (const Row& r : rows) {
    const std::string id = r.get("id");
    if (!ValidId(id)) {
      errors.Add(r.line(), r.col("id"),
                 absl::StrCat("id '", id, "' phải gồm 1-64 ký tự A-Z a-z 0-9 - _ ."));
      continue;
    }
    if (auto [it, fresh] = first_line.emplace(id, r.line()); !fresh) {
      errors.Add(r.line(), r.col("id"),
                 absl::StrCat("id lớp ", id, " bị trùng (đã có ở dòng ", it->second, ")"));
      continue;
    }
    Class c;
    c.set_name(ClassName(id));
    c.set_code(r.get("code"));
    if (!c.code().empty()) {
      if (auto [it, fresh] = code_line.emplace(CodeKey(c.code()), r.line()); !fresh) {
        errors.Add(r.line(), r.col("code"),
                   absl::StrCat("mã lớp ", c.code(), " bị trùng (đã có ở dòng ", it->second,
                                "; mã so sánh không phân biệt hoa thường)"));
      }
      codes.push_back({c.code(), id, r.line(), r.col("code")});
    }
    c.set_display_name(r.get("name"));
    if (c.display_name().empty()) errors.Add(r.line(), r.col("name"), "tên (name) đang trống");
    int year = 0, module = 0;
    if (ParseYearModule(r, errors, &year, &module)) {
      c.set_year(year);
      c.set_module(module);
    }
    if (!view.FindUnit(r.get("unit_id"))) {
      errors.Add(r.line(), r.col("unit_id"),
                 absl::StrCat("không có đơn vị '", r.get("unit_id"), "'"));
    }
    c.set_unit(UnitName(r.get("unit_id")));
    // Members already assigned stay; ASSIGNMENTS files add more.
    if (std::optional<Class> existing = view.FindClass(id)) {
      *c.mutable_learners() = existing->learners();
      *c.mutable_graders() = existing->graders();
    }
    plan.classes.push_back(std::move(c));
  }
  CheckCodesAcrossDirectory("lớp", "classes/", codes, first_line, errors,
                            [&](const std::string& code) { return view.ClassIdByCode(code); });
}

void PlanAssignments(const std::vector<Row>& rows, const DirectoryView& view, Errors& errors,
                     ImportPlan& plan) {
  std::set<std::tuple<int, int, std::string, std::string, std::string>> seen;
  // (year, module, core) -> colleagues added by this file
  std::map<std::tuple<int, int, std::string>, std::set<std::string>> new_support;
  std::map<std::tuple<int, int, std::string>, int> support_line;
  std::map<std::string, std::optional<Person>> people_cache;  // stable references
  auto person = [&](const std::string& id) -> const std::optional<Person>& {
    auto it = people_cache.find(id);
    if (it == people_cache.end()) it = people_cache.emplace(id, view.FindPerson(id)).first;
    return it->second;
  };
  for (const Row& r : rows) {
    int year = 0, module = 0;
    if (!ParseYearModule(r, errors, &year, &module)) continue;
    const std::string kind = Folded(r.get("kind"));
    const std::string from = r.get("from_id");
    const std::string to = r.get("to_id");
    if (!seen.emplace(year, module, kind, from, to).second) continue;  // repeated row: no-op
    if (kind == "support" || kind == "lecturer") {
      const std::optional<Person>& a = person(from);
      const std::optional<Person>& b = person(to);
      if (!a) errors.Add(r.line(), r.col("from_id"), absl::StrCat("không có người '", from, "'"));
      if (!b) errors.Add(r.line(), r.col("to_id"), absl::StrCat("không có người '", to, "'"));
      if (!a || !b) continue;
      if (kind == "support") {
        if (!HasRole(*a, bdtx::v1::CORE_TEACHER) && !HasRole(*a, bdtx::v1::CORE_MANAGER)) {
          errors.Add(r.line(), r.col("from_id"),
                     absl::StrCat(a->name(), " không phải giáo viên hay cán bộ quản lý cốt cán"));
          continue;
        }
        plan.support.push_back({year, module, from, to});
        new_support[{year, module, from}].insert(to);
        support_line.emplace(std::make_tuple(year, module, from), r.line());
      } else {
        if (!HasRole(*a, bdtx::v1::PEDAGOGY_LECTURER) &&
            !HasRole(*a, bdtx::v1::MANAGEMENT_LECTURER)) {
          errors.Add(r.line(), r.col("from_id"),
                     absl::StrCat(a->name(), " không phải giảng viên sư phạm chủ chốt"));
          continue;
        }
        if (!HasRole(*b, bdtx::v1::CORE_TEACHER) && !HasRole(*b, bdtx::v1::CORE_MANAGER)) {
          errors.Add(r.line(), r.col("to_id"),
                     absl::StrCat(b->name(), " không phải giáo viên hay cán bộ quản lý cốt cán"));
          continue;
        }
        plan.lecturers.push_back({year, module, from, to});
      }
    } else if (kind == "learner" || kind == "grader") {
      std::optional<Class> c = view.FindClass(from);
      if (!c) {
        errors.Add(r.line(), r.col("from_id"),
                   absl::StrCat("không có lớp '", from, "' (hãy nhập lớp trước)"));
        continue;
      }
      if (c->year() != year || c->module() != module) {
        errors.Add(r.line(), r.col("year"),
                   absl::StrCat(c->name(), " là mô đun ", c->module(), " năm ", c->year(),
                                ", không phải mô đun ", module, " năm ", year));
        continue;
      }
      const std::optional<Person>& p = person(to);
      if (!p) {
        errors.Add(r.line(), r.col("to_id"), absl::StrCat("không có người '", to, "'"));
        continue;
      }
      const bool grader = kind == "grader";
      if (grader && !HasRole(*p, bdtx::v1::REPORTER) && !HasRole(*p, bdtx::v1::CORE_TEACHER) &&
          !HasRole(*p, bdtx::v1::CORE_MANAGER)) {
        errors.Add(
            r.line(), r.col("to_id"),
            absl::StrCat(p->name(),
                         " không chấm bài được: không phải báo cáo viên/trợ giảng hay cốt cán"));
        continue;
      }
      plan.members.push_back({from, to, grader});
    } else {
      errors.Add(r.line(), r.col("kind"),
                 absl::StrCat("loại phân công '", r.get("kind"),
                              "' không có (support, lecturer, learner, grader)"));
    }
  }
  for (const auto& [key, colleagues] : new_support) {
    const auto& [year, module, core] = key;
    std::set<std::string> group = colleagues;
    for (std::string& id : view.SupportGroup(year, module, core)) group.insert(std::move(id));
    const int total = static_cast<int>(group.size());
    if (total > kUsualSupportGroupSize) {
      plan.warnings.push_back(absl::StrCat("dòng ", support_line[key], ": people/", core,
                                           " hỗ trợ ", total, " đồng nghiệp ở mô đun ", module,
                                           " năm ", year, " (nhiều hơn mức thường là ",
                                           kUsualSupportGroupSize, "); vẫn giữ tất cả"));
    }
  }
}

}  // namespace

std::vector<std::string> ImportColumns(ImportKind kind) {
  std::vector<std::string> out;
  for (const ColumnSpec& c : Spec(kind)) out.push_back(c.name);
  return out;
}

absl::StatusOr<ImportPlan> PlanImport(ImportKind kind, absl::string_view file,
                                      absl::string_view content, const DirectoryView& view) {
  const std::vector<ColumnSpec> spec = Spec(kind);
  if (spec.empty())
    return absl::InvalidArgumentError("kind phải là UNITS, PEOPLE, CLASSES hoặc ASSIGNMENTS");
  absl::StatusOr<CsvTable> table = ParseCsv(file, content);
  if (!table.ok()) return table.status();
  Errors errors(file);
  std::map<std::string, int> columns;
  ImportPlan plan;
  plan.kind = kind;
  for (size_t i = 0; i < table->header.size(); ++i) {
    if (auto why = BadCell(table->header[i])) {
      errors.Add(1, static_cast<int>(i) + 1, *why);
      continue;  // neither named nor echoed in a warning
    }
    const std::string name = Folded(absl::StripAsciiWhitespace(table->header[i]));
    if (!columns.emplace(name, static_cast<int>(i)).second) {
      errors.Add(1, static_cast<int>(i) + 1, absl::StrCat("cột '", name, "' xuất hiện hai lần"));
    }
    bool known = false;
    for (const ColumnSpec& c : spec) known |= name == c.name;
    if (!known)
      plan.warnings.push_back(absl::StrCat("cột ", i + 1, " '", name, "' không được dùng"));
  }
  for (const ColumnSpec& c : spec) {
    if (c.required && !columns.count(c.name)) {
      errors.Add(1, static_cast<int>(table->header.size()) + 1,
                 absl::StrCat("thiếu cột bắt buộc '", c.name,
                              "' (các cột: ", absl::StrJoin(ImportColumns(kind), ","), ")"));
    }
  }
  if (!errors.empty()) return errors.ToStatus();

  std::vector<bool> free_text(table->header.size(), false);
  for (const auto& [name, index] : columns) free_text[index] = IsFreeTextColumn(name);
  std::vector<Row> rows;
  rows.reserve(table->rows.size());
  for (const CsvRow& row : table->rows) {
    if (row.fields.size() != table->header.size()) {
      errors.Add(row.line, static_cast<int>(std::min(row.fields.size(), table->header.size())) + 1,
                 absl::StrCat("dòng có ", row.fields.size(), " trường, dòng tiêu đề có ",
                              table->header.size()));
      continue;
    }
    bool bad = false;
    for (size_t i = 0; i < row.fields.size(); ++i) {
      std::optional<std::string> why = BadCell(row.fields[i]);
      if (!why && free_text[i]) why = FormulaCell(row.fields[i]);
      if (why) {
        errors.Add(row.line, static_cast<int>(i) + 1, *why);
        bad = true;
      }
    }
    if (!bad) rows.emplace_back(row, columns);
  }
  plan.rows = static_cast<int>(table->rows.size());
  switch (kind) {
    case bdtx::v1::UNITS:
      PlanUnits(rows, view, errors, plan);
      break;
    case bdtx::v1::PEOPLE:
      PlanPeople(rows, view, errors, plan);
      break;
    case bdtx::v1::CLASSES:
      PlanClasses(rows, view, errors, plan);
      break;
    default:
      PlanAssignments(rows, view, errors, plan);
  }
  if (!errors.empty()) return errors.ToStatus();
  return plan;
}

std::string SchoolLevelText(bdtx::v1::SchoolLevel level) {
  return SpellingOf(SchoolLevels(), level);
}

std::string UnitKindText(bdtx::v1::UnitKind kind) { return SpellingOf(UnitKinds(), kind); }

std::string UniversityKindText(bdtx::v1::UniversityKind kind) {
  return SpellingOf(UniversityKinds(), kind);
}

std::string RolesText(const Person& person) {
  std::vector<std::string> names;
  for (int role : person.roles()) {
    names.push_back(absl::AsciiStrToLower(bdtx::v1::Role_Name(static_cast<Role>(role))));
  }
  return absl::StrJoin(names, ";");
}

}  // namespace bdtx::directory
