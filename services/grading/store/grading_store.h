// Persistence of grading on the service's event store, and the in-memory GradingModel
// folded from it. Streams and read-model keys: docs/grading.md.
//
// This process is the store's only writer: the model is rebuilt from every event at
// start (Recover) and then updated after each durable append, so decisions taken on
// it see every acknowledged command.
#ifndef BDTX_SERVICES_GRADING_STORE_GRADING_STORE_H_
#define BDTX_SERVICES_GRADING_STORE_GRADING_STORE_H_

#include <functional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "bdtx/v1/grading.pb.h"
#include "common/eventstore/event_store.h"
#include "common/idempotency/idempotency.h"
#include "services/grading/domain/grading_model.h"

namespace bdtx::grading {

class GradingStore {
 public:
  explicit GradingStore(eventstore::EventStore* events) : events_(events) {}

  // Folds every stored event into the model. Logs progress on long replays.
  absl::Status Recover();

  using Decide = absl::AnyInvocable<absl::StatusOr<Decision>(GradingModel&) &&>;
  template <typename T>
  using Done = absl::AnyInvocable<void(absl::StatusOr<T>) &&>;

  // A command on a run (enrol, extension): decide under the lock, append durably with
  // the answer recorded under request_id, fold, answer. A retried request_id answers
  // the first result and writes nothing.
  // Request ids are private to the caller (idempotency::ScopedId) and bound to
  // `binding`: another caller's id never finds this caller's record, and the same
  // caller reusing an id for anything else gets REQUEST_ID_REUSED.
  void RunCommand(const std::string& request_id, const idempotency::Binding& binding,
                  const std::string& actor, absl::Time now, Decide decide,
                  Done<bdtx::v1::Run> done);
  // A command on one assignment (submit, grade, review); its read model (the whole
  // assignment with reviews) is written in the same append.
  void AssignmentCommand(const std::string& request_id, const idempotency::Binding& binding,
                         const std::string& assignment, const std::string& actor, absl::Time now,
                         Decide decide, Done<bdtx::v1::Assignment> done);

  // All-or-nothing; a file imported before (same sha256) writes nothing.
  absl::StatusOr<bdtx::v1::ImportLmsResultsResponse> ImportLms(
      const std::vector<bdtx::v1::LmsRow>& rows, const std::string& file_name,
      const std::string& sha256, const std::string& actor, absl::Time now);

  absl::StatusOr<bdtx::v1::Assignment> GetAssignment(const std::string& name) const;
  // The run's enrolment event (names and codes of learners, for exports).
  absl::StatusOr<bdtx::v1::RunEnrolled> GetEnrolment(const std::string& class_name) const;

  // Runs `read` under the model's lock (queries).
  template <typename F>
  auto Read(F&& read) const {
    absl::ReaderMutexLock lock(&mu_);
    return read(static_cast<const GradingModel&>(model_));
  }

  eventstore::EventStore* events() const { return events_; }

 private:
  // The first answer to the caller's `request_id`, REQUEST_ID_REUSED, or nullopt.
  absl::StatusOr<std::optional<std::string>> Replayed(const std::string& request_id,
                                                      const idempotency::Binding& binding) const;
  void Append(Decision decision, const std::string& request_id, const idempotency::Binding& binding,
              const std::string& actor, absl::Time now,
              std::vector<eventstore::ReadModelWrite> writes, std::string response,
              Done<std::string> done);

  eventstore::EventStore* const events_;
  mutable absl::Mutex mu_;
  GradingModel model_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bdtx::grading

#endif  // BDTX_SERVICES_GRADING_STORE_GRADING_STORE_H_
