#include "common/text/unicode.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace bdtx::text {
namespace {

// "Trường" typed with combining marks (NFD: U+01B0 ư is "u" + U+031B, ờ is "o" + U+031B
// + U+0300) and precomposed (NFC).
constexpr absl::string_view kTruongNfd = "Tru\xCC\x9Bo\xCC\x9B\xCC\x80ng";
constexpr absl::string_view kTruongNfc = "Tr\xC6\xB0\xE1\xBB\x9Dng";

TEST(Unicode, NfdVietnameseBecomesNfc) {
  absl::StatusOr<std::string> nfc = ToNfc(kTruongNfd);
  ASSERT_OK(nfc);
  EXPECT_EQ(*nfc, kTruongNfc);
  EXPECT_FALSE(IsNfc(kTruongNfd));
  EXPECT_TRUE(IsNfc(kTruongNfc));
}

TEST(Unicode, AsciiIsUnchanged) {
  EXPECT_EQ(*ToNfc("people/gvcc-001"), "people/gvcc-001");
  EXPECT_TRUE(IsNfc(std::string("a\0b", 3)));
}

TEST(Unicode, InvalidUtf8IsRefusedWithItsOffset) {
  EXPECT_EQ(FirstInvalidUtf8("ab\xC3"), 2u);
  EXPECT_EQ(FirstInvalidUtf8("\xED\xA0\x80"), 0u);  // a UTF-16 surrogate
  EXPECT_EQ(FirstInvalidUtf8("\xC0\xAF"), 0u);      // overlong '/'
  EXPECT_FALSE(FirstInvalidUtf8(kTruongNfc).has_value());
  absl::StatusOr<std::string> bad = ToNfc("Nguy\xE1\xBB");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("byte 4"), absl::string_view::npos);
  EXPECT_FALSE(IsNfc("\xFF"));
}

TEST(Unicode, VietnameseLettersFoldLikeAscii) {
  EXPECT_TRUE(EqualsIgnoringCase("ĐẠT", "đạt"));
  EXPECT_TRUE(EqualsIgnoringCase("ƯU TIÊN", "ưu tiên"));
  EXPECT_TRUE(EqualsIgnoringCase(kTruongNfd, "TRƯỜNG"));
  EXPECT_FALSE(EqualsIgnoringCase("Đạt", "Dat"));
  EXPECT_FALSE(EqualsIgnoringCase("\xFF", "\xFF"));
}

}  // namespace
}  // namespace bdtx::text
