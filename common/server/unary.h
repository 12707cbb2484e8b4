// Helpers for thin callback-API handlers: finish with an absl::Status in one line, run
// inline (FinishUnary) or on a bounded worker pool (OnWorker).
#ifndef BDTX_COMMON_SERVER_UNARY_H_
#define BDTX_COMMON_SERVER_UNARY_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clients/directory_client.h"
#include "common/server/work_queue.h"
#include "common/status/grpc_status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"

namespace bdtx::server {

// Finishes the call with `status` mapped to a gRPC status (with its details) and returns
// the reactor, so a handler ends in one line: `return FinishWith(reactor, s);`.
inline grpc::ServerUnaryReactor* FinishWith(grpc::ServerUnaryReactor* reactor,
                                            const absl::Status& status) {
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// Runs `handler` (returning absl::Status) inline and finishes the call with its result
// mapped to a gRPC status. For handlers that do not block for long.
template <typename Handler>
grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context, Handler&& handler) {
  return FinishWith(context->DefaultReactor(), std::forward<Handler>(handler)());
}

// Runs `work` (returning absl::Status) on `workers`, for handlers that block on peer
// services, and finishes the call with its result. Work still queued when the caller's
// deadline passes is answered DEADLINE_EXCEEDED without running; peer calls inside `work`
// end before that deadline (clients::PeerDeadlineScope). A full queue answers UNAVAILABLE
// naming `service` (BusyError). `work` runs on a worker thread: it must own or share what
// it uses (the request and response outlive it: gRPC keeps them until Finish).
template <typename Work>
grpc::ServerUnaryReactor* OnWorker(grpc::CallbackServerContext* context, WorkQueue& workers,
                                   absl::string_view service, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time deadline = absl::FromChrono(context->deadline());
  const bool queued = workers.TryRun([reactor, deadline, work = std::move(work)]() mutable {
    // The caller gave up while this waited: do not spend a worker on it.
    if (absl::Now() >= deadline) {
      reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                   "the request waited past its deadline for a worker"));
      return;
    }
    clients::PeerDeadlineScope scope(deadline);
    reactor->Finish(ToGrpcStatus(work()));
  });
  if (!queued) FinishWith(reactor, BusyError(service, workers.max_queued()));
  return reactor;
}

}  // namespace bdtx::server

#endif  // BDTX_COMMON_SERVER_UNARY_H_
