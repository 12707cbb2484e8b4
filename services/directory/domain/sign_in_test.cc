#include "services/directory/domain/sign_in.h"

#include "gtest/gtest.h"

namespace bdtx::directory {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(SignInRulesTest, FifthFailureInTheWindowLocksForFifteenMinutes) {
  bdtx::v1::FailureCounter c;
  for (int i = 0; i < 4; ++i) RecordFailure(&c, kT0 + absl::Minutes(i), kAccountLockout);
  EXPECT_EQ(LockedFor(c, kT0 + absl::Minutes(4)), absl::ZeroDuration());
  RecordFailure(&c, kT0 + absl::Minutes(4), kAccountLockout);
  EXPECT_EQ(LockedFor(c, kT0 + absl::Minutes(4)), absl::Minutes(15));
  EXPECT_EQ(LockedFor(c, kT0 + absl::Minutes(19)), absl::ZeroDuration());
  EXPECT_EQ(c.failed_at_unix_size(), 0) << "a lock starts a new count";
}

TEST(SignInRulesTest, FailuresOlderThanTheWindowAreForgotten) {
  bdtx::v1::FailureCounter c;
  for (int i = 0; i < 4; ++i) RecordFailure(&c, kT0, kAccountLockout);
  RecordFailure(&c, kT0 + absl::Minutes(16), kAccountLockout);
  EXPECT_EQ(LockedFor(c, kT0 + absl::Minutes(16)), absl::ZeroDuration());
  EXPECT_EQ(c.failed_at_unix_size(), 1);
}

TEST(SignInRulesTest, LockedErrorNamesMinutesAndRetryAfter) {
  absl::Status s = LockedError(absl::Seconds(61));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("2 phút"), absl::string_view::npos) << s.message();
  EXPECT_TRUE(s.GetPayload("type.googleapis.com/google.rpc.ErrorInfo").has_value());
}

TEST(SignInRulesTest, PasswordPolicyCountsCharactersNotBytes) {
  EXPECT_TRUE(CheckNewPassword("Mật khẩu 1", "GV1", "").ok());  // 10 characters, 14 bytes
  EXPECT_FALSE(CheckNewPassword("Mật khẩu", "GV1", "").ok());
  EXPECT_FALSE(CheckNewPassword(std::string(129, 'a'), "GV1", "").ok());
  EXPECT_FALSE(CheckNewPassword("an@truong.edu.vn", "GV1", "AN@truong.edu.vn").ok());
  EXPECT_FALSE(CheckNewPassword("gv00000001", "GV00000001", "").ok());
  EXPECT_FALSE(CheckNewPassword(std::string("abcdefghij\xff"), "", "").ok());
}

}  // namespace
}  // namespace bdtx::directory
