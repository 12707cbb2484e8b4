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

// A page of a list the service computes afresh for each call (statistics per unit, a
// member's activities): the page token is the decimal offset of the page's first item,
// as the service returned it.
struct OffsetPage {
  int offset = 0;  // index of the first item
  int size = 0;    // at most how many items, 1..max_size
  // One past the page's last item; never overflows (ParseOffsetPage bounds offset).
  int end() const { return offset + size; }
};

// The page asked for: `page_size` 0 is `limits.default_size`, larger than
// `limits.max_size` is max_size. INVALID_ARGUMENT for a negative page_size (AIP-158) or a
// token that is not a decimal offset from 0 to INT_MAX - max_size (a larger one would
// overflow `end()`; a forged one must not crash or wrap around).
absl::StatusOr<OffsetPage> ParseOffsetPage(int page_size, absl::string_view token,
                                           PageLimits limits);

// The token of the page starting at `offset`.
std::string OffsetPageToken(int offset);

}  // namespace bdtx

#endif  // BDTX_COMMON_PAGING_PAGE_TOKEN_H_
