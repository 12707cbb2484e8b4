// gRPC status → AIP-193 HTTP error: the HTTP status of each code (google/rpc/code.proto)
// and the JSON body {"error": {"code", "message", "status", "details"}}, details being
// the google.rpc.Status details the backend sent in grpc-status-details-bin (ErrorInfo,
// BadRequest, ...) as proto3 JSON with "@type". Pure; thread-safe.
#ifndef BDTX_SERVICES_GATEWAY_ERRORS_H_
#define BDTX_SERVICES_GATEWAY_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bdtx::gateway {

int HttpStatusForCode(int grpc_code);
std::string CodeName(int grpc_code);  // "NOT_FOUND"

struct HttpError {
  int http_status;
  std::string json;
};

// `details_bin` is the serialized google.rpc.Status (may be empty). Details of types
// the gateway does not know are left out rather than failing the whole error.
// `http_status` 0 means the code's own mapping.
HttpError ToHttpError(int grpc_code, absl::string_view message, absl::string_view details_bin,
                      int http_status = 0);
HttpError ToHttpError(const absl::Status& status);

// The wait a service asked for, in seconds (an ErrorInfo with metadata
// `retry_after_seconds`, e.g. a sign-in lockout), for the Retry-After header; 0 if none.
int RetryAfterSeconds(absl::string_view details_bin);

}  // namespace bdtx::gateway

#endif  // BDTX_SERVICES_GATEWAY_ERRORS_H_
