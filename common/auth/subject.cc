#include "common/auth/subject.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth/token_auth_processor.h"
#include "grpcpp/server_context.h"

namespace bdtx::auth {

using bdtx::v1::Role;

bool Subject::HasRole(Role role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

absl::StatusOr<Subject> SubjectFromContext(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (!auth) return absl::UnauthenticatedError("call is not authenticated");
  Subject subject;
  for (const grpc::string_ref& v : auth->FindPropertyValues(kSubjectProperty)) {
    subject.name.assign(v.data(), v.size());
  }
  if (subject.name.empty()) {
    return absl::UnauthenticatedError(
        "missing bearer token: send 'authorization: Bearer <token>' metadata");
  }
  for (const grpc::string_ref& v : auth->FindPropertyValues(kUnitProperty)) {
    subject.unit.assign(v.data(), v.size());
  }
  for (const grpc::string_ref& v : auth->FindPropertyValues(kRoleProperty)) {
    Role role;
    if (bdtx::v1::Role_Parse(std::string(v.data(), v.size()), &role)) subject.roles.push_back(role);
  }
  return subject;
}

absl::Status Authorize(const Subject& subject, Action action, const ResourceScope& scope) {
  if (subject.HasRole(bdtx::v1::SYSTEM_ADMIN) || subject.IsService()) return absl::OkStatus();
  if (action == Action::kRead) {
    if (subject.HasRole(bdtx::v1::MINISTRY_OFFICER)) return absl::OkStatus();
    if (!scope.owner.empty() && scope.owner == subject.name) return absl::OkStatus();
  }
  const bool in_scope =
      !subject.unit.empty() && std::find(scope.unit_ancestry.begin(), scope.unit_ancestry.end(),
                                         subject.unit) != scope.unit_ancestry.end();
  const bool unit_role =
      subject.HasRole(bdtx::v1::PROVINCE_OFFICER) || subject.HasRole(bdtx::v1::PROVINCE_LEADER) ||
      subject.HasRole(bdtx::v1::DISTRICT_OFFICER) || subject.HasRole(bdtx::v1::DISTRICT_LEADER) ||
      subject.HasRole(bdtx::v1::PRINCIPAL);
  if (in_scope && unit_role) return absl::OkStatus();
  const std::string resource = scope.unit_ancestry.empty() ? scope.owner : scope.unit_ancestry[0];
  if (!unit_role) {
    return absl::PermissionDeniedError(absl::StrCat(subject.name, " has no role that may ",
                                                    action == Action::kRead ? "read " : "manage ",
                                                    resource));
  }
  return absl::PermissionDeniedError(absl::StrCat(subject.name, " acts for ", subject.unit,
                                                  ", which does not contain ", resource));
}

}  // namespace bdtx::auth
