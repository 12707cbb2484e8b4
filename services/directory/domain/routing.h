// Sign-off routing (DOMAIN.md, seed 001): for an author's plan or report, the lecturer
// who approves it (step 2) and the authority that signs it off (step 3).
//
//   core teacher at a school            -> its principal
//   core teacher on the staff of a Phòng/Sở -> that office's leader
//   core manager at a TH, THCS or TH&THCS school -> the Phòng of the school
//   core manager at a THPT school       -> the Sở of the province
//   core manager at a THCS&THPT school  -> the Sở (the Phòng when the manager's level is
//                                          THCS and the school sits under a Phòng)
//   core manager at a GDTX centre       -> the Sở (assumption, docs/routing.md)
//   core manager on the staff of a Phòng/Sở -> that office's leader
#ifndef BDTX_SERVICES_DIRECTORY_DOMAIN_ROUTING_H_
#define BDTX_SERVICES_DIRECTORY_DOMAIN_ROUTING_H_

#include "absl/status/statusor.h"
#include "bdtx/v1/directory.pb.h"
#include "common/campaign/calendar.h"
#include "services/directory/domain/directory_view.h"

namespace bdtx::directory {

// NOT_FOUND for an unknown author; INVALID_ARGUMENT for a bad year/module/kind;
// FAILED_PRECONDITION, saying what is missing, when the author cannot be routed (not a
// core member, no lecturer assigned, a school without a principal, ...).
absl::StatusOr<bdtx::v1::Routing> RouteDocument(const DirectoryView& view,
                                                const bdtx::v1::RouteDocumentRequest& request);

// ValidateYearModule (INVALID_ARGUMENT unless 2000 <= year <= 2100 and 1 <= module <= 9)
// is common/campaign/calendar.h's, shared with every service.
using ::bdtx::ValidateYearModule;

}  // namespace bdtx::directory

#endif  // BDTX_SERVICES_DIRECTORY_DOMAIN_ROUTING_H_
