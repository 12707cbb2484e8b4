#include "common/paging/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"

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

}  // namespace bdtx
