#include "common/mail/address.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace bdtx::mail {
namespace {

// RFC 5322 3.2.3 atext.
bool IsAtext(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != absl::string_view::npos;
}

absl::Status Bad(absl::string_view address, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("địa chỉ e-mail '", absl::CHexEscape(address), "' không hợp lệ: ", why));
}

}  // namespace

absl::Status ValidateAddress(absl::string_view address) {
  for (char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return Bad(address, "chứa ký tự điều khiển (CR, LF, ...)");
    if (u >= 0x80) return Bad(address, "chỉ dùng ký tự ASCII (tên miền quốc tế viết dạng xn--)");
    if (c == ' ') return Bad(address, "chứa khoảng trắng");
  }
  if (address.empty()) return Bad(address, "trống");
  if (address.size() > 254) return Bad(address, "dài quá 254 ký tự");
  const size_t at = address.rfind('@');
  if (at == absl::string_view::npos) return Bad(address, "thiếu '@'");
  const absl::string_view local = address.substr(0, at), domain = address.substr(at + 1);
  if (local.empty()) return Bad(address, "thiếu phần trước '@'");
  if (local.size() > 64) return Bad(address, "phần trước '@' dài quá 64 ký tự");
  for (absl::string_view atom : absl::StrSplit(local, '.')) {
    if (atom.empty()) return Bad(address, "dấu chấm đặt sai chỗ trước '@'");
    for (char c : atom) {
      if (!IsAtext(c))
        return Bad(address, absl::StrCat("ký tự '", std::string(1, c), "' không được phép"));
    }
  }
  if (domain.empty()) return Bad(address, "thiếu tên miền sau '@'");
  int labels = 0;
  for (absl::string_view label : absl::StrSplit(domain, '.')) {
    ++labels;
    if (label.empty() || label.size() > 63)
      return Bad(address, "tên miền sai (nhãn trống hoặc quá dài)");
    if (label.front() == '-' || label.back() == '-') {
      return Bad(address, "nhãn tên miền không được bắt đầu hay kết thúc bằng '-'");
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
        return Bad(address,
                   absl::StrCat("ký tự '", std::string(1, c), "' không được phép trong tên miền"));
      }
    }
  }
  if (labels < 2) return Bad(address, "tên miền cần ít nhất hai phần (vd. truong.edu.vn)");
  // RFC 3696 2: a top-level domain is never all digits, so "an@127.0.0.1" is an address
  // literal without its brackets (refused like "an@[127.0.0.1]"), not a domain.
  const absl::string_view tld = domain.substr(domain.rfind('.') + 1);
  if (std::all_of(tld.begin(), tld.end(), [](char c) { return absl::ascii_isdigit(c); })) {
    return Bad(address, "tên miền không được là địa chỉ IP (vd. truong.edu.vn)");
  }
  return absl::OkStatus();
}

}  // namespace bdtx::mail
