#include "common/validation/validator.h"

#include <string>
#include <vector>

#include "bdtx/v1/approvals.pb.h"
#include "bdtx/v1/plans.pb.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace bdtx::validation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

std::vector<std::string> Paths(google::protobuf::Message& m) {
  std::vector<std::string> out;
  for (const auto& [path, what] : CheckAndNormalize(m)) out.push_back(path);
  return out;
}

bdtx::v1::ApproveRequest GoodApprove() {
  bdtx::v1::ApproveRequest r;
  r.set_document("documents/gvcc-001-2023-m4-plan");
  r.set_comment("Đồng ý");
  r.set_request_id("k1");
  r.set_expected_version(2);
  return r;
}

struct Case {
  std::string label;
  std::function<void(bdtx::v1::SignOffRequest&)> mutate;
  std::vector<std::string> paths;  // expected violations, in field order
};

TEST(ValidatorTest, TableOfRules) {
  const std::vector<Case> cases = {
      {"valid", [](auto&) {}, {}},
      {"required string empty", [](auto& r) { r.clear_document(); }, {"document"}},
      {"wrong prefix", [](auto& r) { r.set_document("people/x"); }, {"document"}},
      {"over-long name",
       [](auto& r) { r.set_document("documents/" + std::string(300, 'a')); },
       {"document"}},
      {"undefined enum",
       [](auto& r) { r.set_method(static_cast<bdtx::v1::SignOffMethod>(99)); },
       {"method"}},
      {"required enum unspecified",
       [](auto& r) { r.set_method(bdtx::v1::SIGN_OFF_METHOD_UNSPECIFIED); },
       {"method"}},
      {"negative version", [](auto& r) { r.set_expected_version(-1); }, {"expected_version"}},
      {"zero version is 'no check'", [](auto& r) { r.set_expected_version(0); }, {}},
      {"request_id over 100 bytes",
       [](auto& r) { r.set_request_id(std::string(101, 'k')); },
       {"request_id"}},
      {"invalid UTF-8",
       [](auto& r) { r.set_evidence_reference("bad \xC3\x28"); },
       {"evidence_reference"}},
      {"default 4096-byte limit on unannotated text",
       [](auto& r) { r.set_evidence_reference(std::string(5000, 'x')); },
       {"evidence_reference"}},
      {"several at once",
       [](auto& r) {
         r.clear_document();
         r.set_expected_version(-5);
       },
       {"document", "expected_version"}},
  };
  for (const Case& c : cases) {
    bdtx::v1::SignOffRequest r;
    r.set_document("documents/gvcc-001-2023-m4-plan");
    r.set_method(bdtx::v1::ONLINE);
    r.set_request_id("k1");
    c.mutate(r);
    EXPECT_EQ(Paths(r), c.paths) << c.label;
  }
}

TEST(ValidatorTest, IntegerRangesApplyToNonZeroValues) {
  bdtx::v1::CreatePlanRequest r;
  r.set_author("people/gvcc-001");
  r.set_year(2023);
  r.set_module(4);
  EXPECT_THAT(Paths(r), IsEmpty());
  r.set_module(10);
  r.set_year(1999);
  EXPECT_THAT(Paths(r), ElementsAre("year", "module"));
  r.set_module(0);  // required
  r.set_year(2023);
  EXPECT_THAT(Paths(r), ElementsAre("module"));
}

TEST(ValidatorTest, CharacterLimitCountsCodePointsNotBytes) {
  bdtx::v1::ApproveRequest r = GoodApprove();
  std::string vietnamese;
  for (int i = 0; i < 2000; ++i) vietnamese += "ệ";  // 3 bytes each, 1 character
  r.set_comment(vietnamese);
  EXPECT_THAT(Paths(r), IsEmpty());  // 2000 characters (6000 bytes, but the rule is chars)
  r.set_comment(vietnamese + "a");
  EXPECT_THAT(Paths(r), ElementsAre("comment"));
}

TEST(ValidatorTest, NormalisesEveryStringToNfcInPlaceIncludingNested) {
  bdtx::v1::UpdateSupportDocumentRequest r;
  const std::string decomposed = "Nguye\xCC\x82\xCC\x83n";  // e + circumflex + tilde
  r.mutable_content()->set_name("documents/gvcc-001-2023-m4-plan");
  r.mutable_content()->mutable_header()->set_author_name(decomposed);
  r.mutable_content()->add_rows()->set_activity(decomposed);
  EXPECT_THAT(CheckAndNormalize(r), IsEmpty());
  EXPECT_EQ(r.content().header().author_name(), "Nguyễn");
  EXPECT_EQ(r.content().rows(0).activity(), "Nguyễn");
}

TEST(ValidatorTest, NestedPathsNameTheElement) {
  bdtx::v1::UpdateSupportDocumentRequest r;
  r.mutable_content()->add_rows();
  r.mutable_content()->add_rows()->set_activity(std::string(5000, 'a'));
  r.mutable_content()->set_kind(static_cast<bdtx::v1::DocumentKind>(42));
  EXPECT_THAT(Paths(r), ElementsAre("content.kind", "content.rows[1].activity"));
}

TEST(ValidatorTest, StatusCarriesBadRequestWithEveryFieldPath) {
  bdtx::v1::ApproveRequest r = GoodApprove();
  r.set_expected_version(-1);
  r.set_document("documents/" + std::string(10240, 'x'));
  absl::Status s = ValidateAndNormalize(r);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("expected_version"));
  auto payload = s.GetPayload("type.googleapis.com/google.rpc.BadRequest");
  ASSERT_TRUE(payload.has_value());
  google::rpc::BadRequest bad;
  ASSERT_TRUE(bad.ParseFromString(std::string(*payload)));
  ASSERT_EQ(bad.field_violations_size(), 2);
  EXPECT_EQ(bad.field_violations(0).field(), "document");
  EXPECT_EQ(bad.field_violations(1).field(), "expected_version");
  EXPECT_TRUE(
      ValidateAndNormalize(*std::make_unique<bdtx::v1::ApproveRequest>(GoodApprove())).ok());
}

TEST(ValidatorTest, RepeatedLimitsAndElements) {
  bdtx::v1::SubscribeEventsRequest s;
  s.set_from_position(-3);
  EXPECT_THAT(Paths(s), ElementsAre("from_position"));
}

TEST(ValidatorTest, ControlCharactersAreRefusedButTabAndLineBreaksAreText) {
  for (const std::string& bad :
       {std::string("a\0b", 3), std::string("a\x1b[2Jb"), std::string("a\x7f"),
        std::string("a\xC2\x9b"), std::string("a\x01")}) {
    bdtx::v1::ApproveRequest r = GoodApprove();
    r.set_comment(bad);
    EXPECT_THAT(CheckAndNormalize(r), ElementsAre(Pair("comment", HasSubstr("ký tự điều khiển"))))
        << bad;
  }
  bdtx::v1::ApproveRequest r = GoodApprove();
  r.set_comment("Đồng ý.\n\tMục 1\r\nMục 2\xC2\xA0(NBSP)");
  EXPECT_THAT(CheckAndNormalize(r), IsEmpty());
}

}  // namespace
}  // namespace bdtx::validation
