// LMS results import (docs/grading.md "LMS results"): CSV or JSON, every error with its
// line, all-or-nothing.
#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/csv/csv.h"
#include "common/text/unicode.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/grading/domain/grading_model.h"

namespace bdtx::grading {
namespace {

// A cell as quoted back in an error: control characters escaped (a quoted CR LF stays on
// the error's own line) and at most 40 characters of it, cut between characters (a 1 MB
// cell is not sent back once per error, and the answer stays under gRPC's size limit).
std::string Shown(absl::string_view cell) {
  constexpr size_t kMaxChars = 40;
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < cell.size(); ++i) {
    const auto u = static_cast<unsigned char>(cell[i]);
    if ((u & 0xC0) != 0x80 && chars++ == kMaxChars) {
      out += "…";
      break;
    }
    if (u < 0x20 || u == 0x7F) {
      out += absl::CHexEscape(cell.substr(i, 1));
    } else {
      out.push_back(cell[i]);
    }
  }
  return out;
}

constexpr size_t kMaxErrors = 50;
const char* const kColumns[] = {
    "learner_id", "year", "module", "result", "quiz_done", "survey_done", "programme_survey_done",
    "feedback"};

// One row as text fields, whatever the format.
struct RawRow {
  int line = 0;
  std::map<std::string, std::string> fields;
};

class Errors {
 public:
  explicit Errors(absl::string_view file) : file_(file) {}
  void Add(int line, absl::string_view what) {
    ++count_;
    if (lines_.size() < kMaxErrors) lines_.push_back(absl::StrCat(file_, ":", line, ": ", what));
  }
  bool empty() const { return count_ == 0; }
  absl::Status ToStatus() const {
    return absl::InvalidArgumentError(absl::StrCat(
        count_, " lỗi trong ", file_, "; chưa nhập gì:\n", absl::StrJoin(lines_, "\n"),
        count_ > lines_.size() ? absl::StrCat("\n... và ", count_ - lines_.size(), " lỗi nữa")
                               : ""));
  }

 private:
  std::string file_;
  std::vector<std::string> lines_;
  size_t count_ = 0;
};

// A word compared without regard to case, Vietnamese letters included ("ĐẠT" = "đạt",
// "CÓ" = "có"); input is NFC already (common/csv, and JSON strings via Nfc below).
std::string Folded(absl::string_view s) {
  absl::StatusOr<std::string> folded = text::FoldCase(absl::StripAsciiWhitespace(s));
  return folded.ok() ? *std::move(folded) : std::string(s);
}

bool ParseBool(absl::string_view v, bool* out) {
  const std::string s = Folded(v);
  if (s.empty() || s == "0" || s == "no" || s == "false" || s == "khong" || s == "không") {
    *out = false;
    return true;
  }
  if (s == "1" || s == "yes" || s == "true" || s == "x" || s == "co" || s == "có") {
    *out = true;
    return true;
  }
  return false;
}

// Line numbers (1-based) of each top-level object of a JSON array, skipping strings.
std::vector<int> ObjectLines(absl::string_view json) {
  std::vector<int> lines;
  int line = 1, depth = 0;
  bool in_string = false, escaped = false;
  for (char c : json) {
    if (c == '\n') ++line;
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') {
      if (c == '{' && depth == 1) lines.push_back(line);
      ++depth;
    }
    if (c == '}' || c == ']') --depth;
  }
  return lines;
}

absl::StatusOr<std::vector<RawRow>> ReadCsv(absl::string_view file, absl::string_view content) {
  absl::StatusOr<csv::CsvTable> table = csv::ParseCsv(file, content);
  if (!table.ok()) return table.status();
  std::vector<int> index;
  for (const char* column : kColumns) {
    auto it = std::find_if(table->header.begin(), table->header.end(),
                           [&](const std::string& h) { return Folded(h) == column; });
    index.push_back(it == table->header.end() ? -1 : static_cast<int>(it - table->header.begin()));
  }
  for (int i : {0, 1, 2, 3}) {
    if (index[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ":1: dòng tiêu đề thiếu cột '", kColumns[i],
                       "' (các cột: ", absl::StrJoin(kColumns, ","), ")"));
    }
  }
  std::vector<RawRow> rows;
  for (const csv::CsvRow& r : table->rows) {
    RawRow raw;
    raw.line = r.line;
    for (size_t c = 0; c < index.size(); ++c) {
      if (index[c] >= 0 && index[c] < static_cast<int>(r.fields.size())) {
        raw.fields[kColumns[c]] = r.fields[index[c]];
      }
    }
    rows.push_back(std::move(raw));
  }
  return rows;
}

absl::StatusOr<std::vector<RawRow>> ReadJson(absl::string_view file, absl::string_view content,
                                             Errors& errors) {
  google::protobuf::ListValue list;
  const std::string wrapped(content.data(), content.size());
  auto status = google::protobuf::util::JsonStringToMessage(wrapped, &list);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": không phải mảng JSON gồm các đối tượng: ",
                     std::string(status.message().data(), status.message().size())));
  }
  const std::vector<int> lines = ObjectLines(content);
  std::vector<RawRow> rows;
  for (int i = 0; i < list.values_size(); ++i) {
    RawRow raw;
    raw.line = i < static_cast<int>(lines.size()) ? lines[i] : 0;
    const google::protobuf::Value& v = list.values(i);
    if (!v.has_struct_value()) {
      errors.Add(raw.line, absl::StrCat("phần tử ", i + 1, " không phải đối tượng JSON"));
      continue;
    }
    for (const auto& [key, value] : v.struct_value().fields()) {
      if (std::find(std::begin(kColumns), std::end(kColumns), key) == std::end(kColumns)) {
        errors.Add(raw.line, absl::StrCat("khoá '", Shown(key), "' không có"));
        continue;
      }
      switch (value.kind_case()) {
        case google::protobuf::Value::kStringValue: {
          // Text enters bdtx in NFC, from JSON as from CSV.
          absl::StatusOr<std::string> nfc = text::ToNfc(value.string_value());
          if (!nfc.ok()) {
            errors.Add(raw.line, absl::StrCat("'", key, "': ", nfc.status().message()));
            break;
          }
          raw.fields[key] = *std::move(nfc);
          break;
        }
        case google::protobuf::Value::kNumberValue:
          raw.fields[key] = absl::StrCat(value.number_value());
          break;
        case google::protobuf::Value::kBoolValue:
          raw.fields[key] = value.bool_value() ? "true" : "false";
          break;
        case google::protobuf::Value::kNullValue:
          break;
        default:
          errors.Add(raw.line, absl::StrCat("'", key, "' phải là chuỗi, số hoặc true/false"));
      }
    }
    rows.push_back(std::move(raw));
  }
  return rows;
}

}  // namespace

absl::StatusOr<std::vector<bdtx::v1::LmsRow>> ParseLmsResults(bdtx::v1::LmsFormat format,
                                                              absl::string_view file_name,
                                                              absl::string_view content) {
  const std::string file = file_name.empty() ? "lms-results" : std::string(file_name);
  Errors errors(file);
  absl::StatusOr<std::vector<RawRow>> raw;
  switch (format) {
    case bdtx::v1::CSV:
      raw = ReadCsv(file, content);
      break;
    case bdtx::v1::JSON:
      raw = ReadJson(file, content, errors);
      break;
    default:
      return absl::InvalidArgumentError("format phải là CSV hoặc JSON");
  }
  if (!raw.ok()) return raw.status();
  std::vector<bdtx::v1::LmsRow> rows;
  std::map<std::tuple<std::string, int, int>, int> seen;
  for (const RawRow& r : *raw) {
    auto field = [&](const char* name) -> std::string {
      auto it = r.fields.find(name);
      return it == r.fields.end() ? "" : std::string(absl::StripAsciiWhitespace(it->second));
    };
    bdtx::v1::LmsRow row;
    const std::string id = field("learner_id");
    if (id.empty() || id.size() > 64 || !std::all_of(id.begin(), id.end(), [](char c) {
          return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.';
        })) {
      errors.Add(r.line, absl::StrCat("learner_id '", Shown(id),
                                      "' phải gồm 1–64 ký tự A-Z a-z 0-9 - _ ."));
    }
    row.set_learner(absl::StrCat("people/", id));
    int year = 0, module = 0;
    if (!absl::SimpleAtoi(field("year"), &year) || !IsCampaignYear(year)) {
      errors.Add(r.line, absl::StrCat("năm '", Shown(field("year")), "' phải từ 2000 đến 2100"));
    }
    if (!absl::SimpleAtoi(field("module"), &module) || !IsCampaignModule(module)) {
      errors.Add(r.line, absl::StrCat("mô đun '", Shown(field("module")), "' phải từ 1 đến 9"));
    }
    row.set_year(year);
    row.set_module(module);
    const std::string result = Folded(field("result"));
    if (result == "pass" || result == "dat" || result == "đạt") {
      row.set_result(bdtx::v1::LMS_PASS);
    } else if (result == "fail" || result == "chua_dat" || result == "chua dat" ||
               result == "chưa đạt" || result == "chưa_đạt") {
      row.set_result(bdtx::v1::LMS_FAIL);
    } else if (result == "recognised" || result == "recognized") {
      row.set_result(bdtx::v1::LMS_RECOGNISED);
    } else {
      errors.Add(r.line, absl::StrCat("kết quả '", Shown(field("result")),
                                      "' phải là pass (đạt), fail (chưa đạt) hoặc recognised"));
    }
    bool b = false;
    for (const char* name : {"quiz_done", "survey_done", "programme_survey_done"}) {
      if (!ParseBool(field(name), &b)) {
        errors.Add(r.line, absl::StrCat(name, " '", Shown(field(name)),
                                        "' phải là có/không (yes/no, 1/0)"));
      }
      if (std::string(name) == "quiz_done") row.set_quiz_done(b);
      if (std::string(name) == "survey_done") row.set_survey_done(b);
      if (std::string(name) == "programme_survey_done") row.set_programme_survey_done(b);
      b = false;
    }
    const std::string feedback = Folded(field("feedback"));
    if (feedback == "positive") {
      row.set_feedback(bdtx::v1::POSITIVE);
    } else if (feedback == "negative") {
      row.set_feedback(bdtx::v1::NEGATIVE);
    } else if (!feedback.empty()) {
      errors.Add(r.line, absl::StrCat("phản hồi '", Shown(field("feedback")),
                                      "' phải là positive, negative hoặc để trống"));
    }
    auto [it, inserted] = seen.try_emplace({id, year, module}, r.line);
    if (!inserted) {
      errors.Add(r.line, absl::StrCat("người học ", Shown(id), " mô đun ", module, " năm ", year,
                                      " lặp lại dòng ", it->second));
    }
    rows.push_back(std::move(row));
  }
  if (!errors.empty()) return errors.ToStatus();
  if (rows.empty()) return absl::InvalidArgumentError(absl::StrCat(file, ": không có dòng nào"));
  return rows;
}

}  // namespace bdtx::grading
