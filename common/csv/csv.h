// RFC 4180 CSV reading for imports: UTF-8 only (a BOM is skipped), a header
// row, quoted fields with "" escapes and embedded newlines, LF or CRLF line ends.
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
  std::vector<std::string> header;
  std::vector<CsvRow> rows;  // data rows; blank lines are skipped
};

// INVALID_ARGUMENT "<file>:<line>:<column>: <what>" for bad UTF-8 or an unterminated
// quote; column is the 1-based field number.
absl::StatusOr<CsvTable> ParseCsv(absl::string_view file, absl::string_view content);

// Quotes a field when it needs it.
std::string CsvField(absl::string_view value);

// True when `s` is well-formed UTF-8.
bool IsValidUtf8(absl::string_view s);

}  // namespace bdtx::csv

#endif  // BDTX_COMMON_CSV_CSV_H_
