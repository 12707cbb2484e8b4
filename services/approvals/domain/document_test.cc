#include "services/approvals/domain/document.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace bdtx::approvals {
namespace {

using bdtx::v1::Role;

const std::string kHash(64, 'a');
const absl::Time kNow = absl::FromUnixSeconds(1645000000);  // Feb 2022

bdtx::v1::Routing PrincipalRouting() {
  bdtx::v1::Routing r;
  r.set_author("people/gvcc-1");
  r.set_track(bdtx::v1::TEACHER);
  r.set_lecturer("people/gvsp-1");
  r.mutable_sign_off()->set_kind(bdtx::v1::SignOffAuthority::PRINCIPAL);
  r.mutable_sign_off()->set_unit("units/school-a");
  r.mutable_sign_off()->add_people("people/ht-a");
  r.mutable_sign_off()->add_roles(bdtx::v1::PRINCIPAL);
  r.set_author_unit("units/school-a");
  for (const char* u : {"units/school-a", "units/pgd-x", "units/so-bp", "units/moet"}) {
    r.add_author_unit_ancestry(u);
  }
  return r;
}

// The actor kinds of the table, in column order.
const std::vector<std::pair<std::string, Actor>>& Actors() {
  static const auto* actors = new std::vector<std::pair<std::string, Actor>>{
      {"author", {"people/gvcc-1", {bdtx::v1::CORE_TEACHER}, "units/school-a"}},
      {"assigned lecturer", {"people/gvsp-1", {bdtx::v1::PEDAGOGY_LECTURER}, "units/dhsp"}},
      {"other lecturer", {"people/gvsp-2", {bdtx::v1::PEDAGOGY_LECTURER}, "units/dhsp"}},
      {"routed signer", {"people/ht-a", {bdtx::v1::PRINCIPAL}, "units/school-a"}},
      {"other principal", {"people/ht-b", {bdtx::v1::PRINCIPAL}, "units/school-b"}},
      {"Phòng of another district", {"people/pgd-y", {bdtx::v1::DISTRICT_OFFICER}, "units/pgd-y"}},
      {"Sở", {"people/so-cv", {bdtx::v1::PROVINCE_OFFICER}, "units/so-bp"}},
      {"stranger", {"people/x", {}, ""}},
  };
  return *actors;
}

DocumentKey Key(bdtx::v1::DocumentKind kind = bdtx::v1::PLAN) {
  return DocumentKey{"people/gvcc-1", kind, 2021, 4};
}

// Drives a document into `state` through real decisions.
Document InState(DocumentState state, DocumentKey key = Key()) {
  Document d{key};
  auto step = [&](const Command& c, const Actor& a) {
    auto events = Decide(d, c, a, kNow);
    EXPECT_TRUE(events.ok()) << events.status();
    for (const auto& e : *events) d = Apply(d, e);
  };
  const Actor& author = Actors()[0].second;
  const Actor& lecturer = Actors()[1].second;
  const Actor& signer = Actors()[3].second;
  Submit submit{kHash, false, PrincipalRouting(), bdtx::v1::SIGNED_OFF};
  if (state == bdtx::v1::DRAFT) return d;
  step(submit, author);
  if (state == bdtx::v1::RETURNED) step(Return{"thiếu minh chứng"}, lecturer);
  if (state == bdtx::v1::LECTURER_APPROVED || state == bdtx::v1::SIGNED_OFF) {
    step(Approve{"Đạt"}, lecturer);
  }
  if (state == bdtx::v1::SIGNED_OFF) step(SignOff{bdtx::v1::ONLINE}, signer);
  EXPECT_EQ(d.state, state);
  return d;
}

char Outcome(const absl::StatusOr<std::vector<ApprovalEvent>>& r) {
  if (r.ok()) return 'O';
  switch (r.status().code()) {
    case absl::StatusCode::kPermissionDenied:
      return 'P';
    case absl::StatusCode::kFailedPrecondition:
      return 'F';
    case absl::StatusCode::kInvalidArgument:
      return 'I';
    default:
      return '?';
  }
}

// O = allowed, P = PERMISSION_DENIED, F = FAILED_PRECONDITION; one letter per actor
// kind, in the order of Actors(): author, assigned lecturer, other lecturer, routed
// signer, other principal, Phòng of another district, Sở, stranger.
TEST(DocumentTest, EveryStateCommandAndActorKind) {
  const std::vector<DocumentState> states = {bdtx::v1::DRAFT, bdtx::v1::SUBMITTED,
                                             bdtx::v1::RETURNED, bdtx::v1::LECTURER_APPROVED,
                                             bdtx::v1::SIGNED_OFF};
  struct Row {
    std::string command;
    Command c;
    DocumentState after;  // state after an allowed command (DOCUMENT_STATE_UNSPECIFIED: same)
    std::vector<std::string> expected;  // per state, in `states` order
  };
  const std::vector<Row> table = {
      {"submit",
       Submit{kHash, false, PrincipalRouting()},
       bdtx::v1::SUBMITTED,
       {"OPPPPPPP", "FPPPPPPP", "OPPPPPPP", "FPPPPPPP", "FPPPPPPP"}},
      {"approve",
       Approve{"Đạt"},
       bdtx::v1::LECTURER_APPROVED,
       {"FFFFFFFF", "POPPPPPP", "PFPPPPPP", "PFPPPPPP", "PFPPPPPP"}},
      {"return",
       Return{"Chưa đạt: thiếu mục 3.2"},
       bdtx::v1::RETURNED,
       {"FFFFFFFF", "POPPPPPP", "PFPFPPPP", "PPPOPPPP", "PFPFPPPP"}},
      {"sign off online",
       SignOff{bdtx::v1::ONLINE},
       bdtx::v1::SIGNED_OFF,
       {"FFFFFFFF", "PPPFPPPP", "PPPFPPPP", "PPPOPPPP", "PPPFPPPP"}},
      {"sign off scanned",
       SignOff{bdtx::v1::SCANNED, kHash, "attachments/scan-1", absl::InfiniteFuture(), true},
       bdtx::v1::SIGNED_OFF,
       {"FFFFFFFF", "PPPFPPPP", "PPPFPPPP", "PPPOPPPP", "PPPFPPPP"}},
      {"reroute",
       Reroute{PrincipalRouting(), "principal changed"},
       bdtx::v1::DOCUMENT_STATE_UNSPECIFIED,
       {"FFFFFFFF", "PPPPPPOP", "PPPPPPOP", "PPPPPPOP", "PPPPPPFP"}},
  };
  int checked = 0;
  for (const Row& row : table) {
    for (size_t s = 0; s < states.size(); ++s) {
      const Document doc = InState(states[s]);
      for (size_t a = 0; a < Actors().size(); ++a) {
        const auto& [who, actor] = Actors()[a];
        auto result = Decide(doc, row.c, actor, kNow);
        const char want = row.expected[s][a];
        EXPECT_EQ(Outcome(result), want)
            << row.command << " on " << bdtx::v1::DocumentState_Name(states[s]) << " by " << who
            << ": " << (result.ok() ? "OK" : result.status().ToString());
        if (!result.ok()) {
          // Every refusal names the document and, for state refusals, the state.
          EXPECT_NE(result.status().message().find(doc.key.Name()), std::string::npos)
              << result.status();
          if (want == 'F') {
            EXPECT_NE(result.status().message().find(bdtx::v1::DocumentState_Name(states[s])),
                      std::string::npos)
                << result.status();
          }
        } else {
          Document after = doc;
          for (const auto& e : *result) after = Apply(after, e);
          EXPECT_EQ(after.state,
                    row.after == bdtx::v1::DOCUMENT_STATE_UNSPECIFIED ? doc.state : row.after)
              << row.command << " by " << who;
          EXPECT_EQ(after.version, doc.version + 1);
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 6 * 5 * 8);
}

TEST(DocumentTest, ReportNeedsItsPlanSignedOff) {
  const Actor& author = Actors()[0].second;
  Document report{Key(bdtx::v1::REPORT)};
  for (DocumentState plan : {bdtx::v1::DOCUMENT_STATE_UNSPECIFIED, bdtx::v1::SUBMITTED,
                             bdtx::v1::LECTURER_APPROVED, bdtx::v1::RETURNED}) {
    auto r = Decide(report, Submit{kHash, false, PrincipalRouting(), plan}, author, kNow);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(r.status().message().find(
                  "kế hoạch documents/gvcc-1-2021-m4-plan đã ký duyệt (SIGNED_OFF)"),
              std::string::npos)
        << r.status();
  }
  EXPECT_TRUE(
      Decide(report, Submit{kHash, false, PrincipalRouting(), bdtx::v1::SIGNED_OFF}, author, kNow)
          .ok());
}

TEST(DocumentTest, NotDeployedReportStillGoesThroughBothApprovals) {
  Document d{Key(bdtx::v1::REPORT)};
  auto submitted = Decide(d, Submit{kHash, true, PrincipalRouting(), bdtx::v1::SIGNED_OFF},
                          Actors()[0].second, kNow);
  ASSERT_TRUE(submitted.ok());
  d = Apply(d, (*submitted)[0]);
  EXPECT_TRUE(d.not_deployed);
  EXPECT_TRUE((*submitted)[0].submitted().not_deployed());
  // The signer cannot skip the lecturer because the module was not run.
  EXPECT_EQ(Decide(d, SignOff{bdtx::v1::ONLINE}, Actors()[3].second, kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
  d = Apply(d, (*Decide(d, Approve{}, Actors()[1].second, kNow))[0]);
  d = Apply(d, (*Decide(d, SignOff{bdtx::v1::ONLINE}, Actors()[3].second, kNow))[0]);
  EXPECT_EQ(d.state, bdtx::v1::SIGNED_OFF);
}

TEST(DocumentTest, MalformedCommandsAreInvalidArgument) {
  const Actor& author = Actors()[0].second;
  EXPECT_EQ(Decide(Document{Key()}, Submit{"abc", false, PrincipalRouting()}, author, kNow)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Decide(InState(bdtx::v1::SUBMITTED), Return{""}, Actors()[1].second, kNow).status().code(),
      absl::StatusCode::kInvalidArgument);
  const Document approved = InState(bdtx::v1::LECTURER_APPROVED);
  const Actor& signer = Actors()[3].second;
  EXPECT_EQ(Decide(approved, SignOff{bdtx::v1::SCANNED, "", ""}, signer, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Decide(approved, SignOff{bdtx::v1::SCANNED, kHash, ""}, signer, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Decide(approved, SignOff{}, signer, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A scan plans never stored for this document (no receipt): refused, naming the file.
  absl::Status unproven =
      Decide(approved, SignOff{bdtx::v1::SCANNED, kHash, "attachments/scan-9"}, signer, kNow)
          .status();
  EXPECT_EQ(unproven.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(unproven.message().find("attachments/scan-9"), std::string::npos) << unproven;
  EXPECT_EQ(
      Decide(approved, Reroute{PrincipalRouting(), ""}, Actors()[6].second, kNow).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(DocumentTest, RoutingIsRecordedOnceAndResubmissionKeepsIt) {
  Document d = InState(bdtx::v1::RETURNED);
  bdtx::v1::Routing changed = PrincipalRouting();
  changed.set_lecturer("people/gvsp-9");
  auto resubmit = Decide(d, Submit{std::string(64, 'b'), false, changed}, Actors()[0].second, kNow);
  ASSERT_TRUE(resubmit.ok());
  EXPECT_FALSE((*resubmit)[0].submitted().has_routing());
  d = Apply(d, (*resubmit)[0]);
  EXPECT_EQ(d.routing.lecturer(), "people/gvsp-1");  // back to the same lecturer
  EXPECT_EQ(d.content_sha256, std::string(64, 'b'));
  // Only an explicit, audited re-route changes it.
  auto reroute = Decide(d, Reroute{changed, "GVSP reassigned by the Sở"}, Actors()[6].second, kNow);
  ASSERT_TRUE(reroute.ok());
  d = Apply(d, (*reroute)[0]);
  EXPECT_EQ(d.routing.lecturer(), "people/gvsp-9");
  EXPECT_EQ(d.state, bdtx::v1::SUBMITTED);
}

TEST(DocumentTest, LateActionsAreMarkedButAccepted) {
  const absl::Time deadline = absl::FromUnixSeconds(1646006400);  // 28 Feb 2022
  auto r = Decide(Document{Key()}, Submit{kHash, false, PrincipalRouting(), {}, deadline},
                  Actors()[0].second, deadline + absl::Hours(1));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)[0].submitted().late());
  EXPECT_TRUE(Apply(Document{Key()}, (*r)[0]).late);
  r = Decide(Document{Key()}, Submit{kHash, false, PrincipalRouting(), {}, deadline},
             Actors()[0].second, deadline - absl::Hours(1));
  EXPECT_FALSE((*r)[0].submitted().late());
}

TEST(DocumentTest, UnitSignersMatchByRoleAtTheRoutedUnit) {
  bdtx::v1::Routing r = PrincipalRouting();
  r.mutable_sign_off()->set_kind(bdtx::v1::SignOffAuthority::DISTRICT_OFFICE);
  r.mutable_sign_off()->set_unit("units/pgd-x");
  r.mutable_sign_off()->clear_people();
  r.mutable_sign_off()->clear_roles();
  r.mutable_sign_off()->add_roles(bdtx::v1::DISTRICT_LEADER);
  r.mutable_sign_off()->add_roles(bdtx::v1::DISTRICT_OFFICER);
  EXPECT_TRUE(IsRoutedSigner(r, Actor{"people/cv-x", {bdtx::v1::DISTRICT_OFFICER}, "units/pgd-x"}));
  EXPECT_FALSE(
      IsRoutedSigner(r, Actor{"people/cv-y", {bdtx::v1::DISTRICT_OFFICER}, "units/pgd-y"}));
  EXPECT_FALSE(IsRoutedSigner(r, Actor{"people/gv", {bdtx::v1::MASS_TEACHER}, "units/pgd-x"}));
}

TEST(DocumentTest, DocumentNamesRoundTrip) {
  DocumentKey key{"people/hv-00012", bdtx::v1::REPORT, 2023, 9};
  EXPECT_EQ(key.Name(), "documents/hv-00012-2023-m9-report");
  auto parsed = ParseDocumentName(key.Name());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->author, "people/hv-00012");
  EXPECT_EQ(parsed->kind, bdtx::v1::REPORT);
  EXPECT_EQ(parsed->year, 2023);
  EXPECT_EQ(parsed->module, 9);
  for (const char* bad : {"documents/x-2023-m9-memo", "documents/-2023-m4-plan",
                          "documents/x-2023-m12-plan", "units/x", "documents/x-plan"}) {
    EXPECT_EQ(ParseDocumentName(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// Roles are the directory's current ones (ADR 012): being named in the routing made at
// submission is not enough once the person left the role or the unit.
TEST(DecideTest, NamedSignerOrLecturerWhoLostTheRoleMayNoLongerAct) {
  Actor demoted_signer = Actors()[3].second;
  demoted_signer.roles = {bdtx::v1::MASS_TEACHER};
  EXPECT_EQ(
      Decide(InState(bdtx::v1::LECTURER_APPROVED), SignOff{bdtx::v1::ONLINE}, demoted_signer, kNow)
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
  Actor moved_signer = Actors()[3].second;
  moved_signer.unit = "units/school-b";
  EXPECT_EQ(
      Decide(InState(bdtx::v1::LECTURER_APPROVED), SignOff{bdtx::v1::ONLINE}, moved_signer, kNow)
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
  Actor demoted_lecturer = Actors()[1].second;
  demoted_lecturer.roles = {bdtx::v1::MASS_TEACHER};
  EXPECT_EQ(Decide(InState(bdtx::v1::SUBMITTED), Approve{}, demoted_lecturer, kNow).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Still in role: allowed.
  EXPECT_TRUE(
      Decide(InState(bdtx::v1::SUBMITTED), Approve{}, Actors()[1].second, kNow).status().ok());
}

}  // namespace
}  // namespace bdtx::approvals
