#include "services/directory/domain/routing.h"

#include "services/directory/testing/fake_directory.h"

namespace bdtx::directory {
namespace {

using bdtx::v1::SignOffAuthority;

class RoutingTest : public ::testing::Test {
 protected:
  void SetUp() override { LoadSampleProvince(dir_); }
  absl::StatusOr<bdtx::v1::Routing> Route(const std::string& author,
                                          bdtx::v1::Track track = bdtx::v1::TRACK_UNSPECIFIED) {
    bdtx::v1::RouteDocumentRequest req;
    req.set_author("people/" + author);
    req.set_kind(bdtx::v1::PLAN);
    req.set_year(2023);
    req.set_module(4);
    req.set_track(track);
    return RouteDocument(dir_, req);
  }
  FakeDirectory dir_;
};

TEST_F(RoutingTest, EveryAuthorKindRoutesAsDomainMdSays) {
  struct Case {
    std::string author;
    bdtx::v1::Track track;
    SignOffAuthority::Kind kind;
    std::string unit;
    std::vector<std::string> signers;
    std::string lecturer;
  };
  const std::vector<Case> cases = {
      // core teacher at a school -> its principal
      {"gvcc-thcs",
       bdtx::v1::TRACK_UNSPECIFIED,
       SignOffAuthority::PRINCIPAL,
       "units/thcs-tanphu",
       {"people/ht-thcs"},
       "people/gvsp-1"},
      // core teacher on the staff of a Phòng / the Sở -> that office's leader
      {"gvcc-phong",
       bdtx::v1::TRACK_UNSPECIFIED,
       SignOffAuthority::OFFICE_LEADER,
       "units/dx",
       {"people/ld-phong"},
       "people/gvsp-1"},
      {"gvcc-so",
       bdtx::v1::TRACK_UNSPECIFIED,
       SignOffAuthority::OFFICE_LEADER,
       "units/bp",
       {"people/ld-so"},
       "people/gvsp-1"},
      // core manager at TH, THCS, TH&THCS -> the Phòng (its leader and officers)
      {"cbqlcc-th",
       bdtx::v1::TRACK_UNSPECIFIED,
       SignOffAuthority::DISTRICT_OFFICE,
       "units/dx",
       {"people/ld-phong", "people/cv-phong"},
       "people/gvqlgd-1"},
      {"ht-thcs",
       bdtx::v1::MANAGER,
       SignOffAuthority::DISTRICT_OFFICE,
       "units/dx",
       {"people/ld-phong", "people/cv-phong"},
       "people/gvqlgd-1"},
      {"cbqlcc-ththcs",
       bdtx::v1::TRACK_UNSPECIFIED,
       SignOffAuthority::DISTRICT_OFFICE,
       "units/dx",
       {"people/ld-phong", "people/cv-phong"},
       "people/gvqlgd-1"},
      // core manager at THPT -> the Sở
      {"ht-thpt",
       bdtx::v1::MANAGER,
       SignOffAuthority::PROVINCE_DEPARTMENT,
       "units/bp",
       {"people/ld-so", "people/cv-so"},
       "people/gvqlgd-1"},
      // THCS&THPT: upper side -> Sở; lower side -> Phòng only when there is one above
      {"cbqlcc-dx-upper",
       bdtx::v1::TRACK_UNSPECIFIED,
       SignOffAuthority::PROVINCE_DEPARTMENT,
       "units/bp",
       {"people/ld-so", "people/cv-so"},
       "people/gvqlgd-1"},
      {"cbqlcc-dx-lower",
       bdtx::v1::TRACK_UNSPECIFIED,
       SignOffAuthority::DISTRICT_OFFICE,
       "units/dx",
       {"people/ld-phong", "people/cv-phong"},
       "people/gvqlgd-1"},
      {"cbqlcc-bp-lower",
       bdtx::v1::TRACK_UNSPECIFIED,
       SignOffAuthority::PROVINCE_DEPARTMENT,
       "units/bp",
       {"people/ld-so", "people/cv-so"},
       "people/gvqlgd-1"},
      // continuing-education centre -> the Sở
      {"cbqlcc-gdtx",
       bdtx::v1::TRACK_UNSPECIFIED,
       SignOffAuthority::PROVINCE_DEPARTMENT,
       "units/bp",
       {"people/ld-so", "people/cv-so"},
       "people/gvqlgd-1"},
      // someone holding both core roles, asked explicitly as a teacher
      {"both",
       bdtx::v1::TEACHER,
       SignOffAuthority::PRINCIPAL,
       "units/thcs-tanphu",
       {"people/ht-thcs"},
       "people/gvsp-1"},
  };
  for (const Case& c : cases) {
    auto routing = Route(c.author, c.track);
    ASSERT_TRUE(routing.ok()) << c.author << ": " << routing.status();
    EXPECT_EQ(routing->sign_off().kind(), c.kind) << c.author;
    EXPECT_EQ(routing->sign_off().unit(), c.unit) << c.author;
    EXPECT_EQ(std::vector<std::string>(routing->sign_off().people().begin(),
                                       routing->sign_off().people().end()),
              c.signers)
        << c.author;
    EXPECT_EQ(routing->lecturer(), c.lecturer) << c.author;
    EXPECT_FALSE(routing->sign_off().rule().empty());
    EXPECT_EQ(routing->author_unit_ancestry().rbegin()[0], "units/moet") << c.author;
  }
}

TEST_F(RoutingTest, UnroutableAuthorsSayWhatIsMissing) {
  struct Case {
    std::string author;
    absl::StatusCode code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"gvcc-noprincipal", absl::StatusCode::kFailedPrecondition,
       "units/thcs-noprincipal (Trường THCS Lộc Thái) has nobody with role PRINCIPAL"},
      {"gvcc-nolecturer", absl::StatusCode::kFailedPrecondition,
       "no lecturer is assigned to people/gvcc-nolecturer for module 4 of 2023"},
      {"gvcc-wronglecturer", absl::StatusCode::kFailedPrecondition, "is not a PEDAGOGY_LECTURER"},
      {"both", absl::StatusCode::kFailedPrecondition, "say which track"},
      {"gv-1", absl::StatusCode::kFailedPrecondition, "neither a core teacher nor a core manager"},
      {"nobody", absl::StatusCode::kNotFound, "no person people/nobody"},
  };
  for (const Case& c : cases) {
    auto routing = Route(c.author);
    EXPECT_EQ(routing.status().code(), c.code) << c.author << ": " << routing.status();
    EXPECT_NE(routing.status().message().find(c.says), std::string::npos)
        << c.author << ": " << routing.status();
  }
}

TEST_F(RoutingTest, BadRequestsAreInvalidArgument) {
  bdtx::v1::RouteDocumentRequest req;
  req.set_author("people/gvcc-thcs");
  req.set_kind(bdtx::v1::PLAN);
  req.set_year(2023);
  req.set_module(10);
  EXPECT_EQ(RouteDocument(dir_, req).status().code(), absl::StatusCode::kInvalidArgument);
  req.set_module(4);
  req.set_year(1999);
  EXPECT_EQ(RouteDocument(dir_, req).status().code(), absl::StatusCode::kInvalidArgument);
  req.set_year(2023);
  req.set_kind(bdtx::v1::DOCUMENT_KIND_UNSPECIFIED);
  EXPECT_EQ(RouteDocument(dir_, req).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bdtx::directory
