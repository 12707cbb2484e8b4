#include "common/server/flags.h"

#include "common/server/logging.h"
#include "gtest/gtest.h"

namespace bdtx::server {
namespace {

Flags Standard() {
  Flags flags;
  flags.Define("listen", "127.0.0.1:7100", "where");
  flags.Define("data_dir", "./data/x", "data");
  flags.Define("drain_timeout", "10s", "drain");
  return flags;
}

TEST(FlagsTest, DefaultsApplyWithNoConfiguration) {
  Flags flags = Standard();
  const char* argv[] = {"prog"};
  ASSERT_TRUE(flags.Parse(1, argv, {}).ok());
  EXPECT_EQ(flags.Get("listen"), "127.0.0.1:7100");
  EXPECT_EQ(*flags.GetDuration("drain_timeout"), absl::Seconds(10));
}

TEST(FlagsTest, FlagBeatsEnvironmentBeatsDefault) {
  Flags flags = Standard();
  const char* argv[] = {"prog", "--listen=0.0.0.0:9", "--drain_timeout", "250ms"};
  Environment env = {{"BDTX_LISTEN", "1.2.3.4:5"}, {"BDTX_DATA_DIR", "/var/lib/bdtx"}};
  ASSERT_TRUE(flags.Parse(4, argv, env).ok());
  EXPECT_EQ(flags.Get("listen"), "0.0.0.0:9");
  EXPECT_EQ(flags.Get("data_dir"), "/var/lib/bdtx");
  EXPECT_EQ(*flags.GetDuration("drain_timeout"), absl::Milliseconds(250));
}

TEST(FlagsTest, MistakesAreNamed) {
  {
    Flags flags = Standard();
    const char* argv[] = {"prog", "--lisen=1"};
    absl::Status s = flags.Parse(2, argv, {});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("unknown flag --lisen"), std::string::npos);
  }
  {
    Flags flags = Standard();
    const char* argv[] = {"prog", "stray"};
    EXPECT_NE(flags.Parse(2, argv, {}).message().find("unexpected argument 'stray'"),
              std::string::npos);
  }
  {
    Flags flags = Standard();
    const char* argv[] = {"prog", "--drain_timeout=soon"};
    ASSERT_TRUE(flags.Parse(2, argv, {}).ok());
    EXPECT_NE(flags.GetDuration("drain_timeout").status().message().find("BDTX_DRAIN_TIMEOUT"),
              std::string::npos);
  }
  {
    Flags flags = Standard();
    const char* argv[] = {"prog", "--listen"};
    EXPECT_NE(flags.Parse(2, argv, {}).message().find("needs a value"), std::string::npos);
  }
}

TEST(FlagsTest, UsageListsEverySettingWithItsVariable) {
  Flags flags = Standard();
  const std::string usage = flags.Usage("prog");
  EXPECT_NE(usage.find("--data_dir (env BDTX_DATA_DIR, default './data/x')"), std::string::npos);
}

TEST(LoggingTest, JsonQuoteEscapesControlsAndKeepsVietnamese) {
  EXPECT_EQ(JsonQuote("Chưa đạt"), "\"Chưa đạt\"");
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

}  // namespace
}  // namespace bdtx::server
