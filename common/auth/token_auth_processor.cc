#include "common/auth/token_auth_processor.h"

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "common/status/grpc_status.h"

namespace bdtx::auth {

bool TokenAuthProcessor::IsExempt(absl::string_view method_path) {
  // Sign-in itself (ADR 015): whoever calls these has no token yet, or proves who they are
  // with a password, an activation code or a refresh token instead.
  return absl::StartsWith(method_path, "/grpc.health.v1.Health/") ||
         absl::StartsWith(method_path, "/grpc.reflection.") ||
         method_path == "/bdtx.v1.Sessions/CreateSession" ||
         method_path == "/bdtx.v1.Sessions/RefreshSession" ||
         method_path == "/bdtx.v1.Sessions/DeleteSession" ||
         method_path == "/bdtx.v1.Sessions/ActivateAccount";
}

grpc::Status TokenAuthProcessor::Process(const InputMetadata& auth_metadata,
                                         grpc::AuthContext* /*context*/,
                                         OutputMetadata* /*consumed_auth_metadata*/,
                                         OutputMetadata* /*response_metadata*/) {
  absl::string_view path;
  if (auto it = auth_metadata.find(":path"); it != auth_metadata.end()) {
    path = absl::string_view(it->second.data(), it->second.size());
  }
  if (IsExempt(path)) return grpc::Status::OK;
  absl::string_view header;
  if (auto it = auth_metadata.find("authorization"); it != auth_metadata.end()) {
    header = absl::string_view(it->second.data(), it->second.size());
  }
  // Nothing is attached to the AuthContext: gRPC 1.51 shares it between all calls of a
  // connection, so per-call properties would pile up and mix callers. Handlers
  // re-read the (cached) claims from the call's own metadata.
  return ToGrpcStatus(authenticator_->Authenticate(header).status());
}

}  // namespace bdtx::auth
