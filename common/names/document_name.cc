#include "common/names/document_name.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/campaign/calendar.h"
#include "common/names/resource_name.h"

namespace bdtx {

std::string DocumentKey::Name() const {
  return absl::StrCat("documents/", absl::StripPrefix(author, "people/"), "-", year, "-m", module,
                      "-", kind == bdtx::v1::REPORT ? "report" : "plan");
}

absl::StatusOr<DocumentKey> ParseDocumentName(absl::string_view name) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("tên tài liệu '", name,
                     "' phải có dạng documents/{author}-{year}-m{module}-{plan|report}"));
  };
  absl::string_view rest = name;
  if (!absl::ConsumePrefix(&rest, "documents/")) return bad();
  std::vector<absl::string_view> parts = absl::StrSplit(rest, '-');
  if (parts.size() < 4) return bad();
  DocumentKey key;
  const absl::string_view kind = parts.back();
  if (kind == "plan") {
    key.kind = bdtx::v1::PLAN;
  } else if (kind == "report") {
    key.kind = bdtx::v1::REPORT;
  } else {
    return bad();
  }
  absl::string_view module = parts[parts.size() - 2];
  if (!absl::ConsumePrefix(&module, "m") || !absl::SimpleAtoi(module, &key.module) ||
      !absl::SimpleAtoi(parts[parts.size() - 3], &key.year)) {
    return bad();
  }
  if (!IsCampaignModule(key.module) || !IsCampaignYear(key.year)) return bad();
  std::string author;
  for (size_t i = 0; i + 3 < parts.size(); ++i) {
    absl::StrAppend(&author, i ? "-" : "", parts[i]);
  }
  if (author.empty()) return bad();
  key.author = PersonName(author);
  return key;
}

}  // namespace bdtx
