#include "common/testing/status_matchers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bdtx::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<int> Parsed(bool ok) {
  if (!ok) return absl::InvalidArgumentError("year must be 2000..2100, got 203");
  return 2023;
}

TEST(StatusMatchers, IsOkAcceptsOkStatusAndValueAndRefusesErrors) {
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(Parsed(true), IsOk());
  EXPECT_THAT(absl::NotFoundError("x"), Not(IsOk()));
  EXPECT_THAT(Parsed(false), Not(IsOk()));
}

TEST(StatusMatchers, StatusIsChecksCodeAndMessage) {
  EXPECT_THAT(Parsed(false), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("year")));
  EXPECT_THAT(Parsed(false), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Parsed(false), Not(StatusIs(absl::StatusCode::kNotFound)));
  EXPECT_THAT(Parsed(false), Not(StatusIs(absl::StatusCode::kInvalidArgument, "module")));
  EXPECT_THAT(absl::OkStatus(), StatusIs(absl::StatusCode::kOk));
}

TEST(StatusMatchers, IsOkAndHoldsMatchesTheValueOnlyWhenOk) {
  EXPECT_THAT(Parsed(true), IsOkAndHolds(2023));
  EXPECT_THAT(Parsed(true), Not(IsOkAndHolds(2024)));
  EXPECT_THAT(Parsed(false), Not(IsOkAndHolds(::testing::_)));
}

TEST(StatusMatchers, AFailureExplainsWithTheStatus) {
  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(::testing::ExplainMatchResult(IsOk(), Parsed(false), &listener));
  EXPECT_THAT(listener.str(), HasSubstr("INVALID_ARGUMENT: year must be 2000..2100"));
}

}  // namespace
}  // namespace bdtx::testing
