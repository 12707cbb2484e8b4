#include "services/directory/domain/directory_view.h"

#include "absl/strings/match.h"
#include "common/text/unicode.h"

namespace bdtx::directory {

std::string CodeKey(absl::string_view code) {
  absl::StatusOr<std::string> folded = text::FoldCase(code);
  return folded.ok() ? *std::move(folded) : std::string(code);
}

std::vector<std::string> UnitAncestry(const DirectoryView& view, absl::string_view unit_id) {
  std::vector<std::string> out;
  std::string id(unit_id);
  for (int depth = 0; depth < 16 && !id.empty(); ++depth) {
    std::optional<Unit> unit = view.FindUnit(id);
    if (!unit) break;
    out.push_back(unit->name());
    id = BareId(unit->parent());
  }
  return out;
}

}  // namespace bdtx::directory
