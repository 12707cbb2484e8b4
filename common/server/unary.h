// Helpers for thin callback-API handlers.
#ifndef BDTX_COMMON_SERVER_UNARY_H_
#define BDTX_COMMON_SERVER_UNARY_H_

#include <utility>

#include "absl/status/status.h"
#include "common/status/grpc_status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"

namespace bdtx::server {

// Runs `handler` (returning absl::Status) inline and finishes the call with its result
// mapped to a gRPC status. For handlers that do not block for long.
template <typename Handler>
grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context, Handler&& handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(std::forward<Handler>(handler)()));
  return reactor;
}

}  // namespace bdtx::server

#endif  // BDTX_COMMON_SERVER_UNARY_H_
