#include "services/directory/domain/routing.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace bdtx::directory {
namespace {

using bdtx::v1::Routing;
using bdtx::v1::SignOffAuthority;

bool HasRole(const Person& p, Role role) {
  return std::find(p.roles().begin(), p.roles().end(), role) != p.roles().end();
}

std::optional<Unit> AncestorOfKind(const DirectoryView& view, const Unit& unit,
                                   bdtx::v1::UnitKind kind) {
  std::optional<Unit> current = unit;
  for (int depth = 0; depth < 16 && current; ++depth) {
    if (current->kind() == kind) return current;
    if (current->parent().empty()) break;
    current = view.FindUnit(BareId(current->parent()));
  }
  return std::nullopt;
}

// An authority whose signers are the people holding `roles` at `unit`.
absl::StatusOr<SignOffAuthority> UnitAuthority(const DirectoryView& view, const Unit& unit,
                                               SignOffAuthority::Kind kind, std::vector<Role> roles,
                                               absl::string_view rule) {
  SignOffAuthority authority;
  authority.set_kind(kind);
  authority.set_unit(unit.name());
  authority.set_rule(std::string(rule));
  for (Role role : roles) {
    authority.add_roles(role);
    for (const Person& p : view.PeopleWithRoleAt(BareId(unit.name()), role)) {
      authority.add_people(p.name());
    }
  }
  if (authority.people().empty()) {
    std::string wanted;
    for (Role role : roles) {
      absl::StrAppend(&wanted, wanted.empty() ? "" : " or ", bdtx::v1::Role_Name(role));
    }
    return absl::FailedPreconditionError(absl::StrCat(unit.name(), " (", unit.display_name(),
                                                      ") has nobody with role ", wanted,
                                                      " to sign off: ", rule));
  }
  return authority;
}

}  // namespace

absl::StatusOr<Routing> RouteDocument(const DirectoryView& view,
                                      const bdtx::v1::RouteDocumentRequest& request) {
  if (absl::Status s = ValidateYearModule(request.year(), request.module()); !s.ok()) return s;
  if (request.kind() == bdtx::v1::DOCUMENT_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("kind must be PLAN or REPORT");
  }
  const std::string author_id = BareId(request.author());
  std::optional<Person> author = view.FindPerson(author_id);
  if (!author) return absl::NotFoundError(absl::StrCat("no person ", request.author()));

  const bool teacher = HasRole(*author, bdtx::v1::CORE_TEACHER);
  const bool manager = HasRole(*author, bdtx::v1::CORE_MANAGER);
  bdtx::v1::Track track = request.track();
  if (track == bdtx::v1::TRACK_UNSPECIFIED) {
    if (teacher && manager) {
      return absl::FailedPreconditionError(
          absl::StrCat(author->name(), " is both core teacher and core manager; say which track"));
    }
    if (!teacher && !manager) {
      return absl::FailedPreconditionError(
          absl::StrCat(author->name(),
                       " is neither a core teacher nor a core manager, so has no plan or "
                       "report to route"));
    }
    track = teacher ? bdtx::v1::TEACHER : bdtx::v1::MANAGER;
  } else if ((track == bdtx::v1::TEACHER && !teacher) || (track == bdtx::v1::MANAGER && !manager)) {
    return absl::FailedPreconditionError(absl::StrCat(
        author->name(), " is not a core ", track == bdtx::v1::TEACHER ? "teacher" : "manager"));
  }

  Routing routing;
  routing.set_author(author->name());
  routing.set_track(track);

  // Step 2: the assigned lecturer, of the right kind.
  std::optional<std::string> lecturer_id =
      view.LecturerOf(request.year(), request.module(), author_id);
  if (!lecturer_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no lecturer is assigned to ", author->name(), " for module ", request.module(), " of ",
        request.year(), "; import a 'lecturer' assignment for them"));
  }
  std::optional<Person> lecturer = view.FindPerson(*lecturer_id);
  const Role lecturer_role =
      track == bdtx::v1::TEACHER ? bdtx::v1::PEDAGOGY_LECTURER : bdtx::v1::MANAGEMENT_LECTURER;
  if (!lecturer || !HasRole(*lecturer, lecturer_role)) {
    return absl::FailedPreconditionError(absl::StrCat("the lecturer assigned to ", author->name(),
                                                      " (people/", *lecturer_id, ") is not a ",
                                                      bdtx::v1::Role_Name(lecturer_role)));
  }
  routing.set_lecturer(lecturer->name());

  // Step 3: the sign-off authority, from the author's home unit.
  std::optional<Unit> home = view.FindUnit(BareId(author->home_unit()));
  if (!home) {
    return absl::FailedPreconditionError(
        absl::StrCat(author->name(), " has no known home unit (", author->home_unit(), ")"));
  }
  routing.set_author_unit(home->name());
  for (const std::string& u : UnitAncestry(view, BareId(home->name()))) {
    routing.add_author_unit_ancestry(u);
  }

  absl::StatusOr<SignOffAuthority> authority;
  using K = SignOffAuthority;
  if (home->kind() == bdtx::v1::DISTRICT_OFFICE) {
    authority = UnitAuthority(view, *home, K::OFFICE_LEADER, {bdtx::v1::DISTRICT_LEADER},
                              "a core member on the staff of a Phòng is signed off by its leader");
  } else if (home->kind() == bdtx::v1::PROVINCE_DEPARTMENT) {
    authority = UnitAuthority(view, *home, K::OFFICE_LEADER, {bdtx::v1::PROVINCE_LEADER},
                              "a core member on the staff of the Sở is signed off by its leader");
  } else if (home->kind() != bdtx::v1::SCHOOL) {
    return absl::FailedPreconditionError(absl::StrCat(author->name(), "'s home unit ", home->name(),
                                                      " is not a school or an education office"));
  } else if (track == bdtx::v1::TEACHER) {
    authority = UnitAuthority(view, *home, K::PRINCIPAL, {bdtx::v1::PRINCIPAL},
                              "a core teacher is signed off by the principal of their school");
  } else {
    const bdtx::v1::SchoolLevel level = home->school_level();
    std::optional<Unit> district = AncestorOfKind(view, *home, bdtx::v1::DISTRICT_OFFICE);
    std::optional<Unit> province = AncestorOfKind(view, *home, bdtx::v1::PROVINCE_DEPARTMENT);
    const bool district_side =
        level == bdtx::v1::PRIMARY || level == bdtx::v1::LOWER_SECONDARY ||
        level == bdtx::v1::PRIMARY_AND_LOWER_SECONDARY ||
        (level == bdtx::v1::LOWER_AND_UPPER_SECONDARY &&
         author->level() == bdtx::v1::LOWER_SECONDARY && district.has_value());
    if (district_side) {
      if (!district) {
        return absl::FailedPreconditionError(absl::StrCat(
            home->name(), " is a primary/lower-secondary school but has no Phòng above it"));
      }
      authority = UnitAuthority(
          view, *district, K::DISTRICT_OFFICE,
          {bdtx::v1::DISTRICT_LEADER, bdtx::v1::DISTRICT_OFFICER},
          "a core manager of a primary or lower-secondary school is signed off by the Phòng");
    } else {
      if (!province) {
        return absl::FailedPreconditionError(absl::StrCat(home->name(), " has no Sở above it"));
      }
      authority = UnitAuthority(
          view, *province, K::PROVINCE_DEPARTMENT,
          {bdtx::v1::PROVINCE_LEADER, bdtx::v1::PROVINCE_OFFICER},
          "a core manager of an upper-secondary school (or centre) is signed off by the Sở");
    }
  }
  if (!authority.ok()) return authority.status();
  *routing.mutable_sign_off() = *std::move(authority);
  return routing;
}

}  // namespace bdtx::directory
