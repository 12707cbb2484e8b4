// The approval state machine of one plan or report (pure: no gRPC, RocksDB or clock).
//
//   DRAFT --submit[author]--> SUBMITTED --approve[assigned lecturer]--> LECTURER_APPROVED
//   SUBMITTED --return[assigned lecturer, reason]--> RETURNED
//   LECTURER_APPROVED --sign_off[routed signer, ONLINE | SCANNED(evidence)]--> SIGNED_OFF
//   LECTURER_APPROVED --return[routed signer, reason]--> RETURNED
//   RETURNED --submit[author]--> SUBMITTED
//   any state but DRAFT and SIGNED_OFF --reroute[Sở of the author's province]--> same state
//
// Who is asked first, then what: a caller who may never act on this document gets
// PERMISSION_DENIED whatever its state; the right person at the wrong moment gets
// FAILED_PRECONDITION naming the state. Transition table: docs/approvals.md.
#ifndef BDTX_SERVICES_APPROVALS_DOMAIN_DOCUMENT_H_
#define BDTX_SERVICES_APPROVALS_DOMAIN_DOCUMENT_H_

#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bdtx/v1/approvals.pb.h"
#include "common/campaign/deadlines.h"
#include "common/names/document_name.h"

namespace bdtx::approvals {

using bdtx::v1::ApprovalEvent;
using bdtx::v1::DocumentState;

// The shared vocabulary (common/): document names and campaign deadlines, spelled as
// approvals always has so its callers keep saying approvals::DocumentKey.
using ::bdtx::Deadlines;
using ::bdtx::DocumentKey;
using ::bdtx::ParseDocumentName;

// What the events say so far (Apply folds them).
struct Document {
  DocumentKey key;
  DocumentState state = bdtx::v1::DRAFT;
  int64_t version = 0;  // number of events
  bdtx::v1::Routing routing;
  std::string content_sha256;
  bool not_deployed = false;
  std::string last_reason;  // of the last return
  bool late = false;        // some submission or sign-off came after the deadline
};

// The caller, as the token and directory describe them.
struct Actor {
  std::string person;  // "people/{id}"
  std::vector<bdtx::v1::Role> roles;
  std::string unit;  // home unit "units/{id}"
  bool HasRole(bdtx::v1::Role role) const;
};

struct Submit {
  std::string content_sha256;  // 64 lowercase hex digits
  bool not_deployed = false;
  // Facts the adapter looks up before deciding:
  bdtx::v1::Routing routing;  // from the directory, used on the first submission only
  DocumentState plan_state = bdtx::v1::DOCUMENT_STATE_UNSPECIFIED;  // reports: their plan's
  absl::Time deadline = absl::InfiniteFuture();  // campaign deadline for year and module
};
struct Approve {
  std::string comment;
};
struct Return {
  std::string reason;
};
struct SignOff {
  bdtx::v1::SignOffMethod method = bdtx::v1::SIGN_OFF_METHOD_UNSPECIFIED;
  std::string evidence_sha256;
  std::string evidence_reference;
  absl::Time deadline = absl::InfiniteFuture();
  // SCANNED: the adapter verified plans' receipt for this document and sha256 (ADR 013).
  bool evidence_uploaded = false;
};
struct Reroute {
  bdtx::v1::Routing routing;
  std::string reason;
};
using Command = std::variant<Submit, Approve, Return, SignOff, Reroute>;

// The events `command` by `actor` produces on `document` at `now` (without prev_hash,
// which the store fills), or why it is refused:
//   PERMISSION_DENIED   the actor may not do this to this document at all;
//   FAILED_PRECONDITION the document's state (named in the message) forbids it now;
//   INVALID_ARGUMENT    the command itself is malformed (missing reason, bad hash, ...).
absl::StatusOr<std::vector<ApprovalEvent>> Decide(const Document& document, const Command& command,
                                                  const Actor& actor, absl::Time now);

// The document after `event`. Events are facts: Apply never fails.
Document Apply(Document document, const ApprovalEvent& event);

// True when `actor` is one of the routed signers (by name, or by a signing role at the
// signing unit).
bool IsRoutedSigner(const bdtx::v1::Routing& routing, const Actor& actor);

// True when `actor` is the routing's lecturer and still holds a lecturer role (ADR 012:
// being named at submission is not enough).
bool IsRoutedLecturer(const bdtx::v1::Routing& routing, const Actor& actor);

// Who must act on a document in `state` ("people/..." names; empty when nobody).
std::vector<std::string> PeopleToAct(const Document& document);

}  // namespace bdtx::approvals

#endif  // BDTX_SERVICES_APPROVALS_DOMAIN_DOCUMENT_H_
