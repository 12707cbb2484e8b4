#include "common/paging/page_token.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bdtx {
namespace {

using ::bdtx::testing::IsOkAndHolds;
using ::bdtx::testing::StatusIs;

TEST(PageToken, EmptyTokenStartsAtTheBeginning) {
  EXPECT_THAT(DecodePageToken("", "inbox/a/"), IsOkAndHolds(""));
}

TEST(PageToken, RoundTripsAKeyUnderThePrefix) {
  const std::string token = EncodePageToken("inbox/a/gv-1-2023-m4-plan");
  EXPECT_THAT(DecodePageToken(token, "inbox/a/"), IsOkAndHolds("inbox/a/gv-1-2023-m4-plan"));
}

TEST(PageToken, RefusesTokensOfAnotherListOrForged) {
  // A token another list returned must not read outside this list's prefix.
  EXPECT_THAT(DecodePageToken(EncodePageToken("inbox/b/x"), "inbox/a/"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "page_token không phải do danh sách này trả về"));
  EXPECT_THAT(DecodePageToken("not base64 !", "inbox/a/"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PageLimits, DefaultsAndCaps) {
  constexpr PageLimits kLimits{50, 500};
  EXPECT_EQ(kLimits.Clamp(0), 50);
  EXPECT_EQ(kLimits.Clamp(-3), 50);
  EXPECT_EQ(kLimits.Clamp(7), 7);
  EXPECT_EQ(kLimits.Clamp(501), 500);
}

}  // namespace
}  // namespace bdtx
