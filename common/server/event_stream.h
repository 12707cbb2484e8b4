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

#include <algorithm>
#include <functional>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bdtx/v1/directory.pb.h"
#include "common/auth/subject.h"
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

// The envelope as a service's stored-event message with fields position, stream, version,
// time, actor and event (an Any); false when the payload is not that message's event.
template <typename Stored>
bool StoredFromEnvelope(const eventstore::EventEnvelope& e, Stored* message) {
  message->set_position(e.position());
  message->set_stream(e.stream());
  message->set_version(e.version());
  *message->mutable_time() = e.time();
  message->set_actor(e.actor());
  return e.payload().UnpackTo(message->mutable_event());
}

// A whole SubscribeEvents handler: services and admins only (PERMISSION_DENIED for anyone
// else), `from_position` >= 0 (0 and 1 both mean the first event), then the stream of
// `store` from there, converted by `convert`.
template <typename Stored>
grpc::ServerWriteReactor<Stored>* ServeEventStream(
    const grpc::CallbackServerContext& context, eventstore::EventStore* store,
    int64_t from_position,
    typename EventStreamReactor<Stored>::Convert convert = StoredFromEnvelope<Stored>) {
  using Stream = EventStreamReactor<Stored>;
  absl::StatusOr<auth::Subject> subject = auth::SubjectFromContext(context);
  if (!subject.ok()) return Stream::Refuse(subject.status());
  if (!subject->IsService() && !subject->HasRole(v1::SYSTEM_ADMIN)) {
    return Stream::Refuse(absl::PermissionDeniedError(
        absl::StrCat(subject->name, " may not read the event stream: services and admins only")));
  }
  if (from_position < 0) {
    return Stream::Refuse(absl::InvalidArgumentError("from_position must be >= 0"));
  }
  // Checked again while the stream runs: the token may expire, the roles change (ADR 012).
  auto still_allowed = auth::StreamRecheck(context, [](const auth::Subject& s) {
    return auth::OnlyServicesAndAdmins(s, "đọc luồng sự kiện");
  });
  return new Stream(store, std::max<int64_t>(1, from_position), std::move(convert),
                    std::move(still_allowed));
}

}  // namespace bdtx::server

#endif  // BDTX_COMMON_SERVER_EVENT_STREAM_H_
