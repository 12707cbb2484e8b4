// Runs the edge validator (validator.h) on every request of every RPC of a service,
// after gRPC decodes it and before the service's handler sees it (ADR 008).
//
//   validation::GuardService(&service);      // before the server registers it
//   builder.experimental().SetInterceptorCreators(validation::EdgeInterceptors());
//
// A request that breaks a rule, or that gRPC cannot decode (e.g. invalid UTF-8 in a
// proto3 string field), never reaches the handler: the call ends INVALID_ARGUMENT with a
// message and google.rpc.BadRequest details (the interceptor puts the status on the
// wire; without it gRPC would answer UNIMPLEMENTED with an empty message).
// Unary and server-streaming requests are covered here; the messages of a
// client-streaming call are read by its handler, which must call ValidateAndNormalize
// on each (plans UploadAttachment does).
#ifndef BDTX_COMMON_VALIDATION_EDGE_H_
#define BDTX_COMMON_VALIDATION_EDGE_H_

#include <memory>
#include <vector>

#include "grpcpp/impl/service_type.h"
#include "grpcpp/support/server_interceptor.h"

namespace bdtx::validation {

// Wraps each method handler of `service` (generated protobuf services only). Idempotent.
// REQUIRES: before the service is registered with a server; not thread-safe.
void GuardService(grpc::Service* service);

// The interceptor that answers guarded refusals with their INVALID_ARGUMENT status.
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
EdgeInterceptors();

}  // namespace bdtx::validation

#endif  // BDTX_COMMON_VALIDATION_EDGE_H_
