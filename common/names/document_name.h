// Plan and report names both ways: "documents/{author id}-{year}-m{module}-{plan|report}".
// Approvals mints them, plans stores the content under them, notifications and grading
// read them: the one spelling lives here, not in any one service.
//
// Pure functions; thread-safe.
#ifndef BDTX_COMMON_NAMES_DOCUMENT_NAME_H_
#define BDTX_COMMON_NAMES_DOCUMENT_NAME_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bdtx/v1/directory.pb.h"

namespace bdtx {

// The document's identity, known before any event: one author, kind, module, year.
struct DocumentKey {
  std::string author;  // "people/{id}"
  bdtx::v1::DocumentKind kind = bdtx::v1::PLAN;
  int year = 0;
  int module = 0;

  // "documents/{author id}-{year}-m{module}-{plan|report}"
  std::string Name() const;
};

// The inverse of DocumentKey::Name. INVALID_ARGUMENT (naming the expected shape) unless
// `name` is a well-formed document name with a campaign year and module
// (common/campaign/calendar.h). Author ids may hold '-': the last three parts are the
// year, module and kind.
absl::StatusOr<DocumentKey> ParseDocumentName(absl::string_view name);

}  // namespace bdtx

#endif  // BDTX_COMMON_NAMES_DOCUMENT_NAME_H_
