// RFC 4180 CSV reading for imports, as Excel writes it: UTF-8 only (a BOM is skipped),
// a header row, quoted fields with "" escapes and embedded newlines, LF, CRLF or CR line
// ends. The delimiter is taken from the header line: ',' (Excel, English settings), ';'
// (Excel with Vietnamese regional settings) or a tab ("Text (Tab delimited)"). Every
// cell (header included) is normalised to Unicode NFC (common/text), so names typed
// on macOS (NFD) and on Windows (NFC) are one value. docs/import.md states the rules.
#ifndef BDTX_COMMON_CSV_CSV_H_
#define BDTX_COMMON_CSV_CSV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bdtx::csv {

struct CsvRow {
  int line = 0;  // 1-based line where the row starts
  std::vector<std::string> fields;
};

struct CsvTable {
  char delimiter = ',';  // as detected from the header line
  std::vector<std::string> header;
  std::vector<CsvRow> rows;  // data rows; blank lines are skipped
};

// INVALID_ARGUMENT "<file>:<line>:<column>: <what>" for bad UTF-8 (with a hint: UTF-16
// "Unicode Text" and Windows-1258 files are named as such), NUL bytes, an unterminated
// quote, or a header line holding more than one of ',', ';' and tab (the error names
// what it found); column is the 1-based field number.
absl::StatusOr<CsvTable> ParseCsv(absl::string_view file, absl::string_view content);

// Quotes a field when it needs it.
std::string CsvField(absl::string_view value);

// True when `s` is well-formed UTF-8.
bool IsValidUtf8(absl::string_view s);

}  // namespace bdtx::csv

#endif  // BDTX_COMMON_CSV_CSV_H_
