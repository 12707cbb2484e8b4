#include "common/names/document_name.h"
#include "common/names/resource_name.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bdtx {
namespace {

using ::bdtx::testing::IsOk;
using ::bdtx::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ResourceName, IdsAndNamesRoundTrip) {
  EXPECT_EQ(PersonName("gvcc-001"), "people/gvcc-001");
  EXPECT_EQ(UnitName("so-bp"), "units/so-bp");
  EXPECT_EQ(ClassName("lop-1"), "classes/lop-1");
  EXPECT_EQ(BareId(PersonName("gvcc-001")), "gvcc-001");
  EXPECT_EQ(IdOf(UnitName("so-bp")), "so-bp");
}

TEST(ResourceName, BareIdKeepsSubpathsAndIdOfTakesTheLastSegment) {
  EXPECT_EQ(BareId("classes/c/assignments/l"), "c/assignments/l");
  EXPECT_EQ(IdOf("classes/c/assignments/l"), "l");
  EXPECT_EQ(BareId("no-slash"), "no-slash");
  EXPECT_EQ(IdOf("no-slash"), "no-slash");
  EXPECT_EQ(BareId(""), "");
}

TEST(DocumentName, NameAndParseAreInverse) {
  for (auto kind : {v1::PLAN, v1::REPORT}) {
    const DocumentKey key{"people/gv-cc-001", kind, 2023, 4};
    auto parsed = ParseDocumentName(key.Name());
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(parsed->author, "people/gv-cc-001");  // '-' inside the author id survives
    EXPECT_EQ(parsed->kind, kind);
    EXPECT_EQ(parsed->year, 2023);
    EXPECT_EQ(parsed->module, 4);
    EXPECT_EQ(parsed->Name(), key.Name());
  }
  EXPECT_EQ((DocumentKey{"people/a", v1::REPORT, 2024, 9}.Name()), "documents/a-2024-m9-report");
}

TEST(DocumentName, RefusesMalformedNamesAndOutOfCampaignValues) {
  for (const char* bad :
       {"", "documents/", "docs/a-2023-m4-plan", "documents/a-2023-m4-memo",
        "documents/a-2023-4-plan", "documents/-2023-m4-plan", "documents/a-1999-m4-plan",
        "documents/a-2101-m4-plan", "documents/a-2023-m0-plan", "documents/a-2023-m10-plan",
        "documents/a-x-m4-plan", "documents/2023-m4-plan"}) {
    EXPECT_THAT(
        ParseDocumentName(bad),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 HasSubstr("phải có dạng documents/{author}-{year}-m{module}-{plan|report}")))
        << bad;
  }
}

}  // namespace
}  // namespace bdtx
