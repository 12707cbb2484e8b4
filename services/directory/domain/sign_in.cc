#include "services/directory/domain/sign_in.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status/error_info.h"
#include "common/text/unicode.h"

namespace bdtx::directory {

absl::Duration LockedFor(const bdtx::v1::FailureCounter& counter, absl::Time now) {
  const absl::Time until = absl::FromUnixSeconds(counter.locked_until_unix());
  return until > now ? until - now : absl::ZeroDuration();
}

void RecordFailure(bdtx::v1::FailureCounter* counter, absl::Time now, const LockoutPolicy& policy) {
  const int64_t oldest = absl::ToUnixSeconds(now - policy.window);
  auto* failed = counter->mutable_failed_at_unix();
  failed->erase(
      std::remove_if(failed->begin(), failed->end(), [oldest](int64_t t) { return t <= oldest; }),
      failed->end());
  failed->Add(absl::ToUnixSeconds(now));
  if (failed->size() >= policy.max_failures) {
    counter->set_locked_until_unix(absl::ToUnixSeconds(now + policy.lock));
    failed->Clear();
  }
}

absl::Status LockedError(absl::Duration wait) {
  const int64_t seconds =
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1))));
  const int64_t minutes = (seconds + 59) / 60;
  return WithErrorInfo(absl::ResourceExhaustedError(absl::StrCat(
                           "Đăng nhập tạm bị khoá do nhập sai nhiều lần. Vui lòng thử lại sau ",
                           minutes, " phút hoặc liên hệ quản trị viên để đặt lại mật khẩu.")),
                       "SIGN_IN_LOCKED", {{"retry_after_seconds", absl::StrCat(seconds)}});
}

absl::Status CheckNewPassword(absl::string_view password, absl::string_view code,
                              absl::string_view email) {
  if (text::FirstInvalidUtf8(password).has_value()) {
    return absl::InvalidArgumentError("mật khẩu mới không phải văn bản UTF-8 hợp lệ");
  }
  size_t chars = 0;
  for (unsigned char c : password) chars += (c & 0xC0) != 0x80;
  if (chars < 10) return absl::InvalidArgumentError("mật khẩu mới phải có ít nhất 10 ký tự");
  if (chars > 128) return absl::InvalidArgumentError("mật khẩu mới dài quá 128 ký tự");
  if ((!code.empty() && text::EqualsIgnoringCase(password, code)) ||
      (!email.empty() && text::EqualsIgnoringCase(password, email))) {
    return absl::InvalidArgumentError("mật khẩu mới không được trùng tên đăng nhập hoặc e-mail");
  }
  return absl::OkStatus();
}

}  // namespace bdtx::directory
