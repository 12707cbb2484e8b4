#include "common/crypto/password.h"

#include "gtest/gtest.h"

namespace bdtx {
namespace {

constexpr Argon2Params kFast{.time_cost = 1, .memory_kib = 1024, .parallelism = 1};

TEST(PasswordTest, HashVerifiesOnlyTheSamePassword) {
  auto hash = HashPassword("mật khẩu đúng", kFast);
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_TRUE(hash->rfind("$argon2id$v=19$m=1024,t=1,p=1$", 0) == 0) << *hash;
  EXPECT_TRUE(VerifyPassword("mật khẩu đúng", *hash));
  EXPECT_FALSE(VerifyPassword("mật khẩu sai", *hash));
  EXPECT_FALSE(VerifyPassword("", *hash));
}

TEST(PasswordTest, SaltMakesEveryHashDifferent) {
  auto a = HashPassword("x", kFast), b = HashPassword("x", kFast);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(PasswordTest, DefaultsAreStoredWithTheHash) {
  auto hash = HashPassword("p", Argon2Params{});
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hash->rfind("$argon2id$v=19$m=65536,t=3,p=1$", 0) == 0) << *hash;
}

TEST(PasswordTest, MalformedOrOtherAlgorithmHashesNeverVerify) {
  EXPECT_FALSE(VerifyPassword("p", ""));
  EXPECT_FALSE(VerifyPassword("p", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA"));
  EXPECT_FALSE(VerifyPassword("p", "$argon2id$garbage"));
}

TEST(PasswordTest, RandomCodesUseTheUnambiguousAlphabet) {
  const std::string code = RandomCode(200);
  EXPECT_EQ(code.size(), 200u);
  EXPECT_EQ(code.find_first_of("01OIL"), std::string::npos);
  EXPECT_NE(RandomCode(12), RandomCode(12));
  EXPECT_EQ(RandomToken(32).size(), 43u);  // 256 bits, base64url without padding
}

TEST(PasswordTest, ConstantTimeEqualsComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace bdtx
