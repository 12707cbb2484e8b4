// Storage of notifications: every source event (or fired timer) is produced exactly once —
// one append on stream "sources/{source id}" that must not exist yet, carrying the
// notifications, the inbox entries, the delivery jobs, the follow-up facts, the timers and
// the source's checkpoint in the same atomic commit. Delivery attempts and dead letters are
// events on "jobs/{id}". Key layout: docs/notifications.md.
#ifndef BDTX_SERVICES_NOTIFICATIONS_STORE_NOTIFICATIONS_STORE_H_
#define BDTX_SERVICES_NOTIFICATIONS_STORE_NOTIFICATIONS_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bdtx/v1/events.pb.h"
#include "bdtx/v1/notifications.pb.h"
#include "common/eventstore/event_store.h"

namespace bdtx::notifications {

struct Production {
  std::string source_id;          // "approvals:17", "grading:3", "timer:{id}": produced once
  std::string checkpoint_source;  // advance this source's checkpoint to `checkpoint`
  int64_t checkpoint = 0;
  std::vector<v1::Notification> notifications;
  std::optional<v1::DocumentFacts> facts;
  std::vector<v1::ClassWatch> watches;
  // ("{year}/{module}/{learner id}", class name): which class a learner is in.
  std::vector<std::pair<std::string, std::string>> learner_classes;
  std::vector<v1::Timer> timers;         // to set (an id already set is kept as it is)
  std::string fired_timer_key;           // a due timer this production consumes
  std::vector<v1::DeliveryJob> jobs;     // ready jobs (ids set), e.g. a daily digest mail
  std::vector<std::string> delete_keys;  // e.g. the held notifications a digest sends
};

// The delivery jobs of one stored notification (channels from preferences).
using PlanDeliveries = std::function<std::vector<v1::DeliveryJob>(const v1::Notification&)>;

class NotificationsStore {
 public:
  NotificationsStore(eventstore::EventStore* events, PlanDeliveries plan)
      : events_(events), plan_(std::move(plan)) {}

  absl::StatusOr<int64_t> Checkpoint(const std::string& source);
  absl::StatusOr<std::optional<v1::DocumentFacts>> Facts(const std::string& document);
  absl::StatusOr<std::optional<v1::ClassWatch>> Watch(const std::string& class_name);
  // The class a learner is in for a module of a year ("" when none is followed).
  absl::StatusOr<std::string> LearnerClass(int year, int module, const std::string& learner_id);
  // Documents someone must act on (for campaign digests).
  absl::StatusOr<std::vector<v1::DocumentFacts>> PendingDocuments();

  // Names and numbers the notifications (per recipient, increasing), stores everything in
  // one commit. Returns false (and writes nothing) when `source_id` was produced before.
  absl::StatusOr<bool> Produce(Production p, absl::Time now);
  // Several productions in one commit (stream named after the first): how a consumer keeps
  // up with a busy source. Later writes to a key win; timers dedupe across the batch.
  absl::StatusOr<bool> ProduceBatch(std::vector<Production> batch, absl::Time now);

  // Inbox of `recipient` after `after_sequence`, oldest first.
  absl::StatusOr<std::vector<v1::Notification>> Inbox(const std::string& recipient,
                                                      int64_t after_sequence, int limit);
  absl::StatusOr<int> MarkRead(const std::string& recipient, const std::vector<std::string>& names,
                               absl::Time now);

  // Jobs due at `now` (key, job), oldest first.
  absl::StatusOr<std::vector<std::pair<std::string, v1::DeliveryJob>>> DueJobs(absl::Time now,
                                                                               int limit);
  // Records an attempt: delivered (job done), or retried at `retry_at`, or dead.
  absl::Status RecordAttempt(const std::string& due_key, v1::DeliveryJob job, bool delivered,
                             const std::string& error, bool dead, absl::Time retry_at,
                             absl::Time now);
  absl::StatusOr<std::vector<v1::DeliveryJob>> DeadLetters(const std::string& after, int limit);
  // Puts a dead job back in the queue, due now; NOT_FOUND when there is none.
  absl::Status ReplayDeadLetter(const std::string& job, const std::string& by, absl::Time now);

  // Timers due at `now` (key, timer).
  absl::StatusOr<std::vector<std::pair<std::string, v1::Timer>>> DueTimers(absl::Time now,
                                                                           int limit);
  // Sets a timer unless one with its id exists (fired or not).
  absl::Status EnsureTimer(const v1::Timer& timer, absl::Time now);

  // Notifications held for `person`'s daily digest (key, job), oldest first.
  absl::StatusOr<std::vector<std::pair<std::string, v1::DeliveryJob>>> HeldForDigest(
      const std::string& person);

  absl::StatusOr<std::optional<v1::Preferences>> Preferences(const std::string& person);
  // With a non-empty `request_key` (idempotency::ScopedId), `request` (its binding, with
  // the answer) is stored under it in the same atomic write.
  absl::Status SetPreferences(const v1::Preferences& p, const std::string& actor, absl::Time now,
                              const std::string& request_key = "",
                              const v1::RequestRecord& request = {});
  // The request record stored by SetPreferences under `request_key`, if any.
  absl::StatusOr<std::optional<v1::RequestRecord>> FindRequest(const std::string& request_key);

  struct Counts {
    int64_t jobs = 0, dead = 0, timers = 0;
  };
  absl::StatusOr<Counts> Count();

  eventstore::EventStore* events() { return events_; }

 private:
  absl::StatusOr<int64_t> NextSequence(const std::string& recipient)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  eventstore::EventStore* const events_;
  const PlanDeliveries plan_;
  absl::Mutex mu_;  // one production at a time: sequences are per recipient
  absl::flat_hash_map<std::string, int64_t> sequences_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bdtx::notifications

#endif  // BDTX_SERVICES_NOTIFICATIONS_STORE_NOTIFICATIONS_STORE_H_
