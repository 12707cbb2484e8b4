// The authenticated caller of an RPC and the one authorization helper every handler
// asks: "may this subject do this to this resource?".
#ifndef BDTX_COMMON_AUTH_SUBJECT_H_
#define BDTX_COMMON_AUTH_SUBJECT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "bdtx/v1/directory.pb.h"

namespace grpc {
class ServerContextBase;
}  // namespace grpc

namespace bdtx::auth {

struct Subject {
  std::string name;  // "people/{id}" or "services/{name}"
  std::vector<bdtx::v1::Role> roles;
  std::string unit;  // "units/{id}"

  bool HasRole(bdtx::v1::Role role) const;
  bool IsService() const { return name.rfind("services/", 0) == 0; }
};

// The verified caller of this call, from its `authorization` metadata and the process
// authenticator. UNAUTHENTICATED when the call carried no valid token (only possible
// for exempt methods, since TokenAuthProcessor rejects the rest before the handler).
absl::StatusOr<Subject> SubjectFromContext(const grpc::ServerContextBase& context);

// For a long-lived call (a server stream): what its writer thread calls before each
// message and while it waits, to learn whether the caller may still receive. A stream
// authorized once at its start would otherwise go on serving a person removed or demoted
// by the directory, or a token that expired, for as long as it stays open (ADR 012
// promises a refusal within 5 s). The answer is OK while the token that opened the call
// still verifies (not expired), its person is still in the directory, and `rule` (when
// given) allows the caller's current roles; else the refusal to end the stream with.
// Checks again at most once a second; between checks it answers the last result. The
// returned function is for one thread (the stream's writer).
// The rule of the whole-store streams (SubscribeEvents, WatchChanges): OK for services
// and SYSTEM_ADMIN, else PERMISSION_DENIED "<subject> may not <what>: services and admins
// only".
absl::Status OnlyServicesAndAdmins(const Subject& subject, absl::string_view what);

std::function<absl::Status()> StreamRecheck(
    const grpc::ServerContextBase& context,
    std::function<absl::Status(const Subject&)> rule = nullptr);

enum class Action {
  kRead,    // see the resource
  kManage,  // change it, import it, export it in bulk
};

// The resource being acted on, described by where it sits in the org tree.
struct ResourceScope {
  // The resource's unit first, then its parents up to the ministry ("units/{id}").
  std::vector<std::string> unit_ancestry;
  // The person the resource belongs to, if any ("people/{id}").
  std::string owner;
};

// OK, or PERMISSION_DENIED saying which rule refused. Pure: no I/O; the caller
// resolves the ancestry from directory data.
//   SYSTEM_ADMIN: anything. Other services (services/*): anything.
//   MINISTRY_OFFICER: reads everything.
//   PROVINCE_OFFICER/LEADER: read and manage inside their province;
//   DISTRICT_OFFICER/LEADER: inside their district; PRINCIPAL: inside their school.
//   Anyone: reads what they own.
absl::Status Authorize(const Subject& subject, Action action, const ResourceScope& scope);

// The one refusal for a resource the subject may not see, answered alike whether it
// exists or not (issue 15): PERMISSION_DENIED naming only the subject and the name the
// caller sent. Its existence, state and owner's unit are not the caller's to learn.
absl::Status NotVisible(const Subject& subject, absl::string_view resource);

// Whether the subject may learn that a resource owned by `owner` does not exist (NOT_FOUND
// instead of NotVisible): its owner, admins, services and the ministry (who read all).
bool MayLearnAbsence(const Subject& subject, absl::string_view owner);

}  // namespace bdtx::auth

#endif  // BDTX_COMMON_AUTH_SUBJECT_H_
