#include "common/auth/subject.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/auth/authenticator.h"
#include "grpcpp/server_context.h"

namespace bdtx::auth {

using bdtx::v1::Role;

bool Subject::HasRole(Role role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

namespace {

absl::string_view AuthorizationHeader(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    return absl::string_view(it->second.data(), it->second.size());
  }
  return {};
}

absl::StatusOr<Subject> SubjectFromHeader(absl::string_view header) {
  std::shared_ptr<const Authenticator> authenticator = ProcessAuthenticator();
  if (!authenticator) {
    return absl::UnauthenticatedError("máy chủ này chưa được cấu hình kiểm tra token");
  }
  absl::StatusOr<Claims> claims = authenticator->Authenticate(header);
  if (!claims.ok()) return claims.status();
  Subject subject;
  subject.name = claims->subject;
  subject.unit = claims->unit;
  for (const std::string& name : claims->roles) {
    Role role;
    if (bdtx::v1::Role_Parse(name, &role)) subject.roles.push_back(role);
  }
  return subject;
}

}  // namespace

absl::StatusOr<Subject> SubjectFromContext(const grpc::ServerContextBase& context) {
  return SubjectFromHeader(AuthorizationHeader(context));
}

absl::Status OnlyServicesAndAdmins(const Subject& subject, absl::string_view what) {
  if (subject.IsService() || subject.HasRole(bdtx::v1::SYSTEM_ADMIN)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(subject.name, " không được ", what,
                                                  ": chỉ dành cho dịch vụ và quản trị hệ thống"));
}

std::function<absl::Status()> StreamRecheck(const grpc::ServerContextBase& context,
                                            std::function<absl::Status(const Subject&)> rule) {
  struct State {
    std::string header;  // copied: the call's metadata is not the writer thread's to read
    std::function<absl::Status(const Subject&)> rule;
    absl::Time next = absl::InfinitePast();
    absl::Status last;
  };
  auto state = std::make_shared<State>();
  state->header = std::string(AuthorizationHeader(context));
  state->rule = std::move(rule);
  return [state]() -> absl::Status {
    const absl::Time now = absl::Now();
    if (now < state->next) return state->last;
    state->next = now + absl::Seconds(1);
    absl::StatusOr<Subject> subject = SubjectFromHeader(state->header);
    if (!subject.ok()) {
      state->last = subject.status();
    } else if (state->rule) {
      state->last = state->rule(*subject);
    }
    return state->last;
  };
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
    return absl::PermissionDeniedError(absl::StrCat(subject.name, " không có vai trò được ",
                                                    action == Action::kRead ? "xem " : "quản lý ",
                                                    resource));
  }
  return absl::PermissionDeniedError(absl::StrCat(subject.name, " làm việc cho ", subject.unit,
                                                  ", đơn vị không bao gồm ", resource));
}

absl::Status NotVisible(const Subject& subject, absl::string_view resource) {
  return absl::PermissionDeniedError(absl::StrCat(subject.name,
                                                  " không được xem hay thao tác trên ", resource,
                                                  " (hoặc không có tài nguyên này)"));
}

bool MayLearnAbsence(const Subject& subject, absl::string_view owner) {
  return subject.name == owner || subject.IsService() || subject.HasRole(bdtx::v1::SYSTEM_ADMIN) ||
         subject.HasRole(bdtx::v1::MINISTRY_OFFICER);
}

}  // namespace bdtx::auth
