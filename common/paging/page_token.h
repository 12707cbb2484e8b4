// Page-token paging over key-ordered read models (AIP-158 style): a page token is the
// web-safe base64 of the last key a page returned, and must start with the list's key
// prefix, so a token from one list (or a forged one) cannot read outside another.
//
// Pure functions; thread-safe.
#ifndef BDTX_COMMON_PAGING_PAGE_TOKEN_H_
#define BDTX_COMMON_PAGING_PAGE_TOKEN_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bdtx {

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;  // empty on the last page
};

// How many items a page holds: `default_size` when the caller asks for 0 or less, at
// most `max_size`.
struct PageLimits {
  int default_size;
  int max_size;
  int Clamp(int requested) const {
    return requested <= 0 ? default_size : std::min(requested, max_size);
  }
};

// The token that resumes a listing after `last_key`.
std::string EncodePageToken(absl::string_view last_key);

// The key to resume after: "" for an empty token (the first page), else the decoded key.
// INVALID_ARGUMENT unless `token` is web-safe base64 of a key starting with `prefix`.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view prefix);

}  // namespace bdtx

#endif  // BDTX_COMMON_PAGING_PAGE_TOKEN_H_
