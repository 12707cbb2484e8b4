#include "common/csv/csv.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/text/unicode.h"

namespace bdtx::csv {

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

namespace {

// The delimiter of the header line: the first line that is not blank (blank lines are
// skipped by the reader too), up to its first line break outside quotes.
absl::StatusOr<char> DetectDelimiter(absl::string_view file, absl::string_view content) {
  int commas = 0, semicolons = 0, tabs = 0;
  bool in_quotes = false;
  int header_line = 1;
  while (!content.empty() && (content.front() == '\n' || content.front() == '\r')) {
    if (content.front() == '\n') ++header_line;
    content.remove_prefix(1);
  }
  for (char c : content) {
    if (c == '"') in_quotes = !in_quotes;
    if (in_quotes) continue;
    if (c == '\n' || c == '\r') break;
    commas += c == ',';
    semicolons += c == ';';
    tabs += c == '\t';
  }
  std::vector<std::string> found;
  if (commas > 0) found.push_back(absl::StrCat(commas, " dấu phẩy ','"));
  if (semicolons > 0) found.push_back(absl::StrCat(semicolons, " dấu chấm phẩy ';'"));
  if (tabs > 0) found.push_back(absl::StrCat(tabs, " ký tự tab"));
  if (found.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        file, ":", header_line, ":1: dòng tiêu đề trộn lẫn ký tự phân cách (có ",
        absl::StrJoin(found, ", "), "); giữa các tên cột chỉ dùng một loại: ',' ';' hoặc tab"));
  }
  if (semicolons > 0) return ';';
  if (tabs > 0) return '\t';
  return ',';
}

}  // namespace

absl::StatusOr<CsvTable> ParseCsv(absl::string_view file, absl::string_view content) {
  if (content.substr(0, 2) == "\xFF\xFE" || content.substr(0, 2) == "\xFE\xFF") {
    return absl::InvalidArgumentError(absl::StrCat(
        file,
        ":1:1: tệp ở dạng UTF-16 (Excel \"Unicode Text\"); hãy lưu lại dưới dạng \"CSV UTF-8 "
        "(Comma delimited)\" (Lưu dưới dạng CSV UTF-8)"));
  }
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  CsvTable table;
  absl::StatusOr<char> delimiter = DetectDelimiter(file, content);
  if (!delimiter.ok()) return delimiter.status();
  table.delimiter = *delimiter;
  std::vector<std::string> fields;
  std::string field;
  int line = 1;
  int row_line = 1;
  bool in_quotes = false;
  bool quoted_field = false;
  bool row_has_content = false;

  auto error = [&](int at_line, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ":", at_line, ":", fields.size() + 1, ": ", what));
  };
  auto end_field = [&]() -> absl::Status {
    if (field.find('\0') != std::string::npos) {
      return error(row_line,
                   "có byte NUL: tệp có vẻ ở dạng UTF-16 (Excel \"Unicode Text\"); hãy lưu lại "
                   "dưới dạng \"CSV UTF-8\"");
    }
    if (!IsValidUtf8(field)) {
      return error(row_line,
                   "không phải UTF-8 hợp lệ (hãy lưu tệp dưới dạng \"CSV UTF-8\"; tệp Windows-1258 "
                   "hoặc TCVN3 phải chuyển mã trước, dấu tiếng Việt phải còn nguyên)");
    }
    absl::StatusOr<std::string> nfc = text::ToNfc(field);
    if (!nfc.ok()) return error(row_line, nfc.status().message());
    fields.push_back(*std::move(nfc));
    field.clear();
    quoted_field = false;
    return absl::OkStatus();
  };
  auto end_row = [&]() {
    const bool blank = fields.size() == 1 && fields[0].empty() && !row_has_content;
    if (!blank) {
      if (table.header.empty() && table.rows.empty()) {
        table.header = std::move(fields);
      } else {
        table.rows.push_back(CsvRow{row_line, std::move(fields)});
      }
    }
    fields.clear();
    row_has_content = false;
  };

  for (size_t i = 0; i < content.size(); ++i) {
    const char c = content[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < content.size() && content[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n' || (c == '\r' && (i + 1 == content.size() || content[i + 1] != '\n'))) {
          ++line;
        }
        field.push_back(c);
      }
      continue;
    }
    if (c == table.delimiter) {
      row_has_content = true;
      if (absl::Status s = end_field(); !s.ok()) return s;
      continue;
    }
    switch (c) {
      case '"':
        if (!field.empty() || quoted_field)
          return error(line, "dấu nháy kép nằm trong một trường không được bao bằng nháy kép");
        in_quotes = true;
        quoted_field = true;
        row_has_content = true;
        break;
      case '\r':
        // CRLF ends the line at its LF; a CR alone ends it too ("CSV (Macintosh)" from
        // Excel for Mac), rather than gluing the next line onto this one.
        if (i + 1 < content.size() && content[i + 1] == '\n') break;
        [[fallthrough]];
      case '\n':
        if (absl::Status s = end_field(); !s.ok()) return s;
        end_row();
        ++line;
        row_line = line;
        break;
      default:
        field.push_back(c);
        row_has_content = true;
    }
  }
  if (in_quotes)
    return error(row_line, "trường bắt đầu bằng nháy kép nhưng không có nháy kép đóng");
  if (!field.empty() || !fields.empty() || row_has_content) {
    if (absl::Status s = end_field(); !s.ok()) return s;
    end_row();
  }
  if (table.header.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ":1:1: tệp rỗng (không có dòng tiêu đề)"));
  }
  return table;
}

std::string CsvField(absl::string_view value) {
  // ';' and tab are quoted too: a written header must read back with the same delimiter
  // (the reader detects it from the header line; found by fuzz_csv).
  if (value.find_first_of(",;\t\"\r\n") == absl::string_view::npos) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace bdtx::csv
