#include "common/auth/subject.h"
#include "gtest/gtest.h"

namespace bdtx::auth {
namespace {

using bdtx::v1::Role;

// A school in district "dx" of province "bp".
const ResourceScope kSchoolDoc{{"units/school-a", "units/dx", "units/bp", "units/moet"},
                               "people/author"};

Subject Make(const std::string& name, std::vector<Role> roles, const std::string& unit) {
  return Subject{name, std::move(roles), unit};
}

TEST(AuthorizeTest, DecisionTable) {
  struct Case {
    std::string who;
    Subject subject;
    Action action;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {"admin", Make("people/admin", {bdtx::v1::SYSTEM_ADMIN}, ""), Action::kManage, true},
      {"service", Make("services/approvals", {}, ""), Action::kManage, true},
      {"ministry reads", Make("people/m", {bdtx::v1::MINISTRY_OFFICER}, "units/moet"),
       Action::kRead, true},
      {"ministry manages", Make("people/m", {bdtx::v1::MINISTRY_OFFICER}, "units/moet"),
       Action::kManage, false},
      {"own province", Make("people/s", {bdtx::v1::PROVINCE_OFFICER}, "units/bp"), Action::kManage,
       true},
      {"other province", Make("people/s", {bdtx::v1::PROVINCE_LEADER}, "units/hn"), Action::kManage,
       false},
      {"own district", Make("people/d", {bdtx::v1::DISTRICT_OFFICER}, "units/dx"), Action::kManage,
       true},
      {"other district", Make("people/d", {bdtx::v1::DISTRICT_LEADER}, "units/dy"), Action::kRead,
       false},
      {"own principal", Make("people/p", {bdtx::v1::PRINCIPAL}, "units/school-a"), Action::kManage,
       true},
      {"other principal", Make("people/p", {bdtx::v1::PRINCIPAL}, "units/school-b"), Action::kRead,
       false},
      {"owner reads", Make("people/author", {bdtx::v1::CORE_TEACHER}, "units/school-a"),
       Action::kRead, true},
      {"owner manages", Make("people/author", {bdtx::v1::CORE_TEACHER}, "units/school-a"),
       Action::kManage, false},
      {"colleague", Make("people/x", {bdtx::v1::MASS_TEACHER}, "units/school-a"), Action::kRead,
       false},
      {"stranger", Make("people/x", {}, ""), Action::kRead, false},
  };
  for (const Case& c : cases) {
    absl::Status s = Authorize(c.subject, c.action, kSchoolDoc);
    EXPECT_EQ(s.ok(), c.allowed) << c.who << ": " << s;
    if (!c.allowed) {
      EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << c.who;
    }
  }
}

TEST(AuthorizeTest, RefusalSaysWhy) {
  absl::Status s = Authorize(Make("people/p", {bdtx::v1::PRINCIPAL}, "units/school-b"),
                             Action::kManage, kSchoolDoc);
  EXPECT_NE(s.message().find("làm việc cho units/school-b, đơn vị không bao gồm units/school-a"),
            std::string::npos)
      << s;
}

}  // namespace
}  // namespace bdtx::auth
