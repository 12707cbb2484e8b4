// Resource names both ways, as every service spells them (like leveldb's db/filename.h
// for file names): "people/{id}", "units/{id}", "classes/{id}". One place, so a service
// never parses another's names by hand.
//
// Pure functions of their arguments; thread-safe.
#ifndef BDTX_COMMON_NAMES_RESOURCE_NAME_H_
#define BDTX_COMMON_NAMES_RESOURCE_NAME_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace bdtx {

// Id -> name.
inline std::string PersonName(absl::string_view id) { return absl::StrCat("people/", id); }
inline std::string UnitName(absl::string_view id) { return absl::StrCat("units/", id); }
inline std::string ClassName(absl::string_view id) { return absl::StrCat("classes/", id); }

// Name -> id: everything after the collection, "units/x" -> "x" (and
// "classes/c/assignments/l" -> "c/assignments/l"); the input when it has no '/'.
inline std::string BareId(absl::string_view name) {
  const size_t slash = name.find('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}

// Name -> the last segment: "people/gv-1" -> "gv-1", "classes/c/assignments/l" -> "l";
// the input when it has no '/'.
inline std::string IdOf(absl::string_view name) {
  const size_t slash = name.rfind('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}

}  // namespace bdtx

#endif  // BDTX_COMMON_NAMES_RESOURCE_NAME_H_
