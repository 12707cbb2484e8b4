// The edge validator: checks (and NFC-normalises) every request of every RPC from its
// message descriptor and the limits declared in the protos (bdtx/v1/field_options.proto),
// before any handler runs (hooked into every server by edge.h). Rules and defaults:
// docs/api.md "Validation".
//
//   absl::Status s = validation::ValidateAndNormalize(request);  // mutates strings to NFC
//   // INVALID_ARGUMENT with a google.rpc.BadRequest naming each offending field path
//
// Thread-safe (no shared state); `message` must not be used concurrently.
#ifndef BDTX_COMMON_VALIDATION_VALIDATOR_H_
#define BDTX_COMMON_VALIDATION_VALIDATOR_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace bdtx::validation {

// A string field without (bdtx.v1.field).max_bytes holds at most this many bytes (or
// 4 x max_chars when only max_chars is declared).
inline constexpr int kDefaultMaxStringBytes = 4096;

// One broken rule: the field path ("content.rows[2].activity") and what is wrong.
using Violation = std::pair<std::string, std::string>;

// Every rule `message` breaks, in field order (at most 50: the rest are summarised), and
// rewrites every string field (nested, repeated, map keys and values) to NFC. Strings
// that are not valid UTF-8 are reported and left untouched.
std::vector<Violation> CheckAndNormalize(google::protobuf::Message& message);

// CheckAndNormalize as a status: OK, or INVALID_ARGUMENT listing the violations in the
// message and as google.rpc.BadRequest field violations.
absl::Status ValidateAndNormalize(google::protobuf::Message& message);

}  // namespace bdtx::validation

#endif  // BDTX_COMMON_VALIDATION_VALIDATOR_H_
