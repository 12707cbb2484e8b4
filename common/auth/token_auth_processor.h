// Server-side authentication for every bdtx service: a gRPC AuthMetadataProcessor that
// verifies the bearer token of each call before any handler runs. A call without a
// valid token fails with UNAUTHENTICATED and never reaches the service; the verified
// subject is attached to the call's AuthContext (read it with SubjectFromContext).
// Health checks and reflection need no token (probes, grpcurl).
// Why a processor and not an interceptor: docs/adr/002-authentication.md.
#ifndef BDTX_COMMON_AUTH_TOKEN_AUTH_PROCESSOR_H_
#define BDTX_COMMON_AUTH_TOKEN_AUTH_PROCESSOR_H_

#include <memory>

#include "common/auth/jwt.h"
#include "common/clock/clock.h"
#include "grpcpp/security/auth_metadata_processor.h"

namespace bdtx::auth {

inline constexpr char kSubjectProperty[] = "bdtx.subject";
inline constexpr char kRoleProperty[] = "bdtx.role";
inline constexpr char kUnitProperty[] = "bdtx.unit";

// Thread-safe.
class TokenAuthProcessor : public grpc::AuthMetadataProcessor {
 public:
  TokenAuthProcessor(JwtVerifier verifier, const Clock* clock)
      : verifier_(std::move(verifier)), clock_(clock) {}

  // Verification is CPU only and quick: run it inline on the gRPC thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

  // True for methods callable without a token.
  static bool IsExempt(absl::string_view method_path);

 private:
  const JwtVerifier verifier_;
  const Clock* const clock_;
};

}  // namespace bdtx::auth

#endif  // BDTX_COMMON_AUTH_TOKEN_AUTH_PROCESSOR_H_
