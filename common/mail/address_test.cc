#include "common/mail/address.h"

#include "gtest/gtest.h"

namespace bdtx::mail {
namespace {

TEST(MailAddress, AcceptsOrdinarySchoolAddresses) {
  for (const char* ok :
       {"an@thcs.example", "nguyen.van-an+bdtx@sgddt.binhphuoc.gov.vn", "gv_01@xn--trng-hoa-8za.vn",
        "O'Brien@example.test", "gv@mail2.123truong.vn"}) {
    EXPECT_TRUE(ValidateAddress(ok).ok()) << ok << ": " << ValidateAddress(ok);
  }
}

TEST(MailAddress, RefusesTextThatIsNotAnAddress) {
  EXPECT_NE(ValidateAddress("khong co email").message().find("khoảng trắng"), std::string::npos);
  EXPECT_NE(ValidateAddress("khongcoemail").message().find("'@'"), std::string::npos);
  for (const char* bad : {"", "@example.test", "an@", "an@localhost", "an..b@example.test",
                          ".an@example.test", "an@-x.example", "an@x_y.example", "\"a b\"@x.test",
                          "an@[127.0.0.1]", "Nguyễn@example.test", "<an@x.test>", "a@b@x.test",
                          "an@127.0.0.1", "an@10.0.0.5", "an@example.123"}) {
    EXPECT_EQ(ValidateAddress(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(MailAddress, RefusesSmtpCommandInjection) {
  const absl::Status s = ValidateAddress("gvsp-06@example.test>\r\nRCPT TO:<intruder@example.test");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("điều khiển"), std::string::npos) << s;
  EXPECT_EQ(s.message().find('\n'), std::string::npos);  // the message itself is one line
  EXPECT_FALSE(ValidateAddress("a@x.test\n").ok());
  EXPECT_FALSE(ValidateAddress(std::string("a@x.test\0b", 10)).ok());
}

}  // namespace
}  // namespace bdtx::mail
