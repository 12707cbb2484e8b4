// Server-side authentication for every bdtx service: a gRPC AuthMetadataProcessor that
// verifies the bearer token of each call before any handler runs. A call without a
// valid token fails with UNAUTHENTICATED and never reaches the service. Handlers read
// the caller with SubjectFromContext. Health checks and reflection need no token
// (probes, grpcurl). Why a processor, and why it attaches nothing to the AuthContext:
// docs/adr/002-authentication.md.
#ifndef BDTX_COMMON_AUTH_TOKEN_AUTH_PROCESSOR_H_
#define BDTX_COMMON_AUTH_TOKEN_AUTH_PROCESSOR_H_

#include <memory>

#include "common/auth/authenticator.h"
#include "grpcpp/security/auth_metadata_processor.h"

namespace bdtx::auth {

// Thread-safe.
class TokenAuthProcessor : public grpc::AuthMetadataProcessor {
 public:
  explicit TokenAuthProcessor(std::shared_ptr<const Authenticator> authenticator)
      : authenticator_(std::move(authenticator)) {}

  // Verification is CPU only and quick (cached) and runs inline on the gRPC thread,
  // unless people's roles may need a directory round trip (a roles cache miss, ADR 012):
  // then gRPC runs it on its executor, where blocking is allowed. The handler's
  // SubjectFromContext then finds the roles cached.
  bool IsBlocking() const override { return authenticator_->MayBlock(); }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

  // True for methods callable without a token.
  static bool IsExempt(absl::string_view method_path);

 private:
  const std::shared_ptr<const Authenticator> authenticator_;
};

}  // namespace bdtx::auth

#endif  // BDTX_COMMON_AUTH_TOKEN_AUTH_PROCESSOR_H_
