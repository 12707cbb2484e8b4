#include "common/auth/token_auth_processor.h"

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/status/grpc_status.h"

namespace bdtx::auth {

bool TokenAuthProcessor::IsExempt(absl::string_view method_path) {
  return absl::StartsWith(method_path, "/grpc.health.v1.Health/") ||
         absl::StartsWith(method_path, "/grpc.reflection.");
}

grpc::Status TokenAuthProcessor::Process(const InputMetadata& auth_metadata,
                                         grpc::AuthContext* context,
                                         OutputMetadata* consumed_auth_metadata,
                                         OutputMetadata* response_metadata) {
  absl::string_view path;
  if (auto it = auth_metadata.find(":path"); it != auth_metadata.end()) {
    path = absl::string_view(it->second.data(), it->second.size());
  }
  auto header = auth_metadata.find("authorization");
  if (header == auth_metadata.end()) {
    if (IsExempt(path)) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing bearer token: send 'authorization: Bearer <token>' metadata "
                        "(bdtxctl token mint makes one)");
  }
  absl::string_view value(header->second.data(), header->second.size());
  if (!absl::ConsumePrefix(&value, "Bearer ") && !absl::ConsumePrefix(&value, "bearer ")) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "authorization metadata must be 'Bearer <token>'");
  }
  absl::StatusOr<Claims> claims = verifier_.Verify(value, clock_->Now());
  if (!claims.ok()) {
    if (IsExempt(path)) return grpc::Status::OK;
    return ToGrpcStatus(claims.status());
  }
  context->AddProperty(kSubjectProperty, claims->subject);
  context->SetPeerIdentityPropertyName(kSubjectProperty);
  if (!claims->unit.empty()) context->AddProperty(kUnitProperty, claims->unit);
  for (const std::string& role : claims->roles) context->AddProperty(kRoleProperty, role);
  consumed_auth_metadata->insert(
      std::make_pair("authorization", std::string(header->second.data(), header->second.size())));
  return grpc::Status::OK;
}

}  // namespace bdtx::auth
