// Unicode text at the edge, on utf8proc (Debian libutf8proc-dev; ADR 007): UTF-8
// validation, NFC normalisation (UAX #15) and full case folding (Unicode CaseFolding.txt,
// so Vietnamese Đ/đ, Ư/ư, Ạ/ạ fold like ASCII letters do).
//
// Every text that enters bdtx (gRPC strings, CSV cells, LMS files) is stored in NFC, so
// the same name typed on macOS (NFD) and on Windows (NFC) is one value, not two.
//
// Thread-safety: every function is pure and safe to call from any thread.
#ifndef BDTX_COMMON_TEXT_UNICODE_H_
#define BDTX_COMMON_TEXT_UNICODE_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bdtx::text {

// The byte offset of the first ill-formed UTF-8 sequence in `s` (overlong forms,
// surrogates and code points above U+10FFFF are ill-formed), or nullopt when `s` is
// well-formed.
std::optional<size_t> FirstInvalidUtf8(absl::string_view s);
inline bool IsValidUtf8(absl::string_view s) { return !FirstInvalidUtf8(s).has_value(); }

// `s` in Normalization Form C. INVALID_ARGUMENT "not valid UTF-8 at byte N" when `s`
// is ill-formed. ASCII input is returned unchanged without calling utf8proc.
absl::StatusOr<std::string> ToNfc(absl::string_view s);

// True when `s` is well-formed UTF-8 already in NFC (ToNfc(s) == s).
bool IsNfc(absl::string_view s);

// `s` normalised to NFC and case-folded (full folding), for comparing words without
// regard to case: FoldCase("ĐẠT") == FoldCase("đạt"). INVALID_ARGUMENT as ToNfc.
absl::StatusOr<std::string> FoldCase(absl::string_view s);

// FoldCase(a) == FoldCase(b); false when either is not valid UTF-8.
bool EqualsIgnoringCase(absl::string_view a, absl::string_view b);

}  // namespace bdtx::text

#endif  // BDTX_COMMON_TEXT_UNICODE_H_
