// Server-streaming of stored events to one subscriber (SubscribeEvents of every
// event-sourced service): replay from a position, then live.
//
// A helper thread follows the store (it may block waiting for new events, which a gRPC
// thread must not) and writes one message at a time; cancellation (client gone, server
// draining) stops it. `convert` turns a stored envelope into the service's message and
// returns false to skip an event that is not the service's own. `still_allowed` (e.g.
// auth::StreamRecheck) is asked before every message and at least every 500 ms: a
// refusal (an expired token, a caller no longer allowed) ends the stream with it.
#ifndef BDTX_COMMON_SERVER_EVENT_STREAM_H_
#define BDTX_COMMON_SERVER_EVENT_STREAM_H_

#include <functional>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/eventstore/subscription.h"
#include "common/server/trace.h"
#include "common/status/grpc_status.h"
#include "grpcpp/support/server_callback.h"

namespace bdtx::server {

template <typename Message>
class EventStreamReactor : public grpc::ServerWriteReactor<Message> {
 public:
  using Convert = std::function<bool(const eventstore::EventEnvelope&, Message*)>;
  using StillAllowed = std::function<absl::Status()>;

  // REQUIRES: from >= 1.
  EventStreamReactor(eventstore::EventStore* store, int64_t from, Convert convert,
                     StillAllowed still_allowed = nullptr)
      : subscription_(store, from),
        convert_(std::move(convert)),
        still_allowed_(std::move(still_allowed)) {
    // The stream's thread logs under the call's span.
    thread_ = std::thread(::bdtx::server::BindTrace([this] { Run(); }));
  }

  // A stream refused before it starts (bad request, not allowed).
  static grpc::ServerWriteReactor<Message>* Refuse(const absl::Status& status) {
    class Refused : public grpc::ServerWriteReactor<Message> {
     public:
      explicit Refused(const absl::Status& s) { this->Finish(ToGrpcStatus(s)); }
      void OnDone() override { delete this; }
    };
    return new Refused(status);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) stopped_ = true;
  }
  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      stopped_ = true;
    }
    subscription_.Cancel();
  }
  void OnDone() override {
    thread_.join();
    delete this;
  }

 private:
  void Run() {
    absl::Status status;
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (stopped_) break;
      }
      if (still_allowed_ && !(status = still_allowed_()).ok()) break;
      auto batch = subscription_.Next(absl::Milliseconds(500));
      if (!batch.ok()) {
        if (!absl::IsCancelled(batch.status())) status = batch.status();
        break;
      }
      for (const auto& e : *batch) {
        message_.Clear();
        if (!convert_(e, &message_)) continue;
        if (still_allowed_ && !(status = still_allowed_()).ok()) break;
        absl::MutexLock lock(&mu_);
        if (stopped_) break;
        writing_ = true;
        this->StartWrite(&message_);
        auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !writing_ || stopped_; };
        mu_.Await(absl::Condition(&done));
        if (stopped_) break;
      }
    }
    // A write still in flight after a cancel completes before OnDone.
    this->Finish(ToGrpcStatus(status));
  }

  eventstore::Subscription subscription_;
  const Convert convert_;
  const StillAllowed still_allowed_;
  Message message_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace bdtx::server

#endif  // BDTX_COMMON_SERVER_EVENT_STREAM_H_
