#include "common/paging/page_token.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bdtx {
namespace {

using ::bdtx::testing::IsOk;
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

TEST(OffsetPage, SizeIsDefaultedAndCappedAndNegativeRefused) {
  const PageLimits limits{50, 500};
  auto page = ParseOffsetPage(0, "", limits);
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->offset, 0);
  EXPECT_EQ(page->size, 50);
  EXPECT_EQ(ParseOffsetPage(10000, "", limits)->size, 500);
  EXPECT_EQ(ParseOffsetPage(7, "", limits)->size, 7);
  EXPECT_THAT(ParseOffsetPage(-1, "", limits), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(OffsetPage, TokenRoundTrips) {
  auto page = ParseOffsetPage(20, OffsetPageToken(40), {50, 500});
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->offset, 40);
  EXPECT_EQ(page->end(), 60);
}

// A forged token must neither read before the list ("-5") nor make offset + size
// overflow (a crash under UBSan, a wrapped-around read in a release build).
TEST(OffsetPage, ForgedTokensAreRefused) {
  const PageLimits limits{50, 500};
  for (const char* token : {"-5", "abc", "1e3", "2147483647", "2147483148", "99999999999"}) {
    EXPECT_THAT(
        ParseOffsetPage(500, token, limits),
        StatusIs(absl::StatusCode::kInvalidArgument, "page_token is not one this service returned"))
        << token;
  }
  // The largest offset still allowed: its end() fits an int.
  auto last = ParseOffsetPage(500, "2147483147", limits);
  ASSERT_THAT(last, IsOk());
  EXPECT_EQ(last->end(), 2147483647);
}

}  // namespace
}  // namespace bdtx
