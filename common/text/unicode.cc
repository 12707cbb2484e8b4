#include "common/text/unicode.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"

namespace bdtx::text {
namespace {

bool IsAscii(absl::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// Runs utf8proc_map over exactly `s` (embedded NULs included) with `options`.
absl::StatusOr<std::string> Map(absl::string_view s, int options) {
  if (std::optional<size_t> bad = FirstInvalidUtf8(s)) {
    return absl::InvalidArgumentError(absl::StrCat("không phải UTF-8 hợp lệ ở byte ", *bad));
  }
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
      &out, static_cast<utf8proc_option_t>(options | UTF8PROC_STABLE));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  if (n < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("không chuẩn hoá được văn bản: ", utf8proc_errmsg(n)));
  }
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

}  // namespace

std::optional<size_t> FirstInvalidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n =
        utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                         static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    if (n <= 0 || cp < 0) return i;
    i += static_cast<size_t>(n);
  }
  return std::nullopt;
}

absl::StatusOr<std::string> ToNfc(absl::string_view s) {
  if (IsAscii(s)) return std::string(s);
  return Map(s, UTF8PROC_COMPOSE);
}

bool IsNfc(absl::string_view s) {
  if (IsAscii(s)) return true;
  absl::StatusOr<std::string> nfc = Map(s, UTF8PROC_COMPOSE);
  return nfc.ok() && *nfc == s;
}

absl::StatusOr<std::string> FoldCase(absl::string_view s) {
  return Map(s, UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
}

bool EqualsIgnoringCase(absl::string_view a, absl::string_view b) {
  absl::StatusOr<std::string> fa = FoldCase(a);
  absl::StatusOr<std::string> fb = FoldCase(b);
  return fa.ok() && fb.ok() && *fa == *fb;
}

}  // namespace bdtx::text
