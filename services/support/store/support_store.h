// Persistence of peer support on the service's event store, and the in-memory
// SupportModel folded from it (the model is rebuilt from every event at start; this
// process is the store's only writer). Streams: "questions/{id}", "supportActivities/{id}";
// read model: "req/{idempotency::ScopedId(caller, request_id)}" -> bdtx.v1.RequestRecord
// with the first answer (common/idempotency, docs/api.md "request_id").
//
// Thread-safe.
#ifndef BDTX_SERVICES_SUPPORT_STORE_SUPPORT_STORE_H_
#define BDTX_SERVICES_SUPPORT_STORE_SUPPORT_STORE_H_

#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "bdtx/v1/support.pb.h"
#include "common/eventstore/event_store.h"
#include "common/idempotency/idempotency.h"
#include "services/support/domain/support_model.h"

namespace bdtx::support {

// A request_id and what it is bound to (issue 15 §1, AIP-155; common/idempotency):
// binding.caller is the authenticated subject, binding.method the full RPC name
// ("/bdtx.v1.Support/AnswerQuestion"), binding.resource the question, or the asker /
// core member of a create.
struct RequestKey {
  std::string request_id;  // empty: not idempotent
  idempotency::Binding binding;
};

class SupportStore {
 public:
  explicit SupportStore(eventstore::EventStore* events) : events_(events) {}

  // Folds every stored event into the model.
  absl::Status Recover();

  // The first answer to `key` when this caller used its request_id for this same request
  // before; nullopt when unused; ALREADY_EXISTS (ErrorInfo REQUEST_ID_REUSED, metadata
  // method = the first RPC) when this caller used it for anything else. Callers authorize
  // BEFORE asking: a record is only ever found under its own caller's key.
  absl::StatusOr<std::optional<std::string>> Replay(const RequestKey& key) const;

  using Decide = absl::AnyInvocable<absl::StatusOr<Decision>(const SupportModel&) &&>;
  template <typename T>
  using Done = absl::AnyInvocable<void(absl::StatusOr<T>) &&>;

  // Decides on the model under the lock, appends the event durably with the answer
  // recorded under the request key, folds it, answers. A concurrent command that won
  // the same version makes this one ABORTED; a retry that raced its first attempt gets
  // the first answer.
  void QuestionCommand(const RequestKey& key, absl::Time now, Decide decide,
                       Done<bdtx::v1::Question> done);
  void ActivityCommand(const RequestKey& key, absl::Time now, Decide decide,
                       Done<bdtx::v1::SupportActivity> done);

  // Runs `read` under the model's lock.
  template <typename F>
  auto Read(F&& read) const {
    absl::ReaderMutexLock lock(&mu_);
    return read(static_cast<const SupportModel&>(model_));
  }

  eventstore::EventStore* events() const { return events_; }

 private:
  // Appends `decision` with `response` under the request key; `done` gets the response
  // bytes (the first attempt's on a raced retry).
  void Append(Decision decision, const RequestKey& key, absl::Time now, std::string response,
              Done<std::string> done);

  eventstore::EventStore* const events_;
  mutable absl::Mutex mu_;
  SupportModel model_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bdtx::support

#endif  // BDTX_SERVICES_SUPPORT_STORE_SUPPORT_STORE_H_
