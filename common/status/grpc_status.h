// The one place where absl::Status becomes grpc::Status (and back, for clients).
#ifndef BDTX_COMMON_STATUS_GRPC_STATUS_H_
#define BDTX_COMMON_STATUS_GRPC_STATUS_H_

#include <initializer_list>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/status/error_info.h"
#include "grpcpp/support/status.h"

namespace bdtx {

// Maps the code one to one (Abseil and gRPC share the canonical code numbers) and keeps
// the message. Payloads attached under a "type.googleapis.com/..." URL are carried as
// serialized google.rpc.Status details when present.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The inverse, for code that calls other services.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace bdtx

#endif  // BDTX_COMMON_STATUS_GRPC_STATUS_H_
