#include "common/paging/page_token.h"

#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace bdtx {

std::string EncodePageToken(absl::string_view last_key) {
  return absl::WebSafeBase64Escape(last_key);
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view prefix) {
  if (token.empty()) return std::string();
  std::string key;
  if (!absl::WebSafeBase64Unescape(token, &key) || !absl::StartsWith(key, prefix)) {
    return absl::InvalidArgumentError("page_token không phải do danh sách này trả về");
  }
  return key;
}

absl::StatusOr<OffsetPage> ParseOffsetPage(int page_size, absl::string_view token,
                                           PageLimits limits) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must be ≥ 0");
  OffsetPage page;
  page.size = limits.Clamp(page_size);
  if (!token.empty() && (!absl::SimpleAtoi(token, &page.offset) || page.offset < 0 ||
                         page.offset > std::numeric_limits<int>::max() - limits.max_size)) {
    return absl::InvalidArgumentError("page_token is not one this service returned");
  }
  return page;
}

std::string OffsetPageToken(int offset) { return absl::StrCat(offset); }

}  // namespace bdtx
