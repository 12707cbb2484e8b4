// Machine-readable error details without gRPC: domain code attaches a google.rpc
// ErrorInfo (which rule failed; facts such as a document's state) to an absl::Status;
// ToGrpcStatus (grpc_status.h) sends it in grpc-status-details-bin.
#ifndef BDTX_COMMON_STATUS_ERROR_INFO_H_
#define BDTX_COMMON_STATUS_ERROR_INFO_H_

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bdtx {

inline constexpr char kErrorDomain[] = "bdtx.vn";
inline constexpr char kTypePrefix[] = "type.googleapis.com/";

// Returns `status` with an ErrorInfo{reason, domain "bdtx.vn", metadata} payload.
absl::Status WithErrorInfo(
    absl::Status status, absl::string_view reason,
    std::initializer_list<std::pair<absl::string_view, std::string>> metadata = {});

// Returns `status` with a google.rpc.BadRequest payload: one field violation per
// (field path, description), e.g. {"rows[3].to", "ends before it starts"}.
absl::Status WithBadRequest(absl::Status status,
                            const std::vector<std::pair<std::string, std::string>>& violations);

}  // namespace bdtx

#endif  // BDTX_COMMON_STATUS_ERROR_INFO_H_
