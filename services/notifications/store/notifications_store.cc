#include "services/notifications/store/notifications_store.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "services/notifications/domain/rules.h"

namespace bdtx::notifications {
namespace {

namespace v1 = ::bdtx::v1;
using google::protobuf::util::TimeUtil;

std::string Millis(absl::Time t) { return absl::StrFormat("%020d", absl::ToUnixMillis(t)); }
std::string DueKey(absl::Time t, const std::string& job) {
  return absl::StrCat("due/", Millis(t), "/", job);
}
std::string TimerKey(const v1::Timer& t) {
  return absl::StrCat("timers/", Millis(absl::FromUnixSeconds(t.fire_at().seconds())), "/", t.id());
}
google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

template <typename Message>
absl::StatusOr<std::optional<Message>> ReadProto(eventstore::EventStore* events,
                                                 const std::string& key) {
  ASSIGN_OR_RETURN(auto value, events->GetReadModel(key));
  if (!value.has_value()) return std::optional<Message>();
  Message m;
  if (!m.ParseFromString(*value)) return absl::DataLossError(absl::StrCat("cannot decode ", key));
  return std::optional<Message>(std::move(m));
}

template <typename Message>
absl::StatusOr<std::vector<std::pair<std::string, Message>>> ScanProtos(
    eventstore::EventStore* events, const std::string& prefix, const std::string& after,
    int limit) {
  ASSIGN_OR_RETURN(auto rows, events->ScanReadModel(prefix, after, limit));
  std::vector<std::pair<std::string, Message>> out;
  for (auto& [key, value] : rows) {
    Message m;
    if (!m.ParseFromString(value)) return absl::DataLossError(absl::StrCat("cannot decode ", key));
    out.emplace_back(key, std::move(m));
  }
  return out;
}

absl::StatusOr<eventstore::AppendResult> AppendOne(eventstore::EventStore* events,
                                                   const std::string& stream, int64_t expected,
                                                   const v1::NotificationsEvent& event,
                                                   const std::string& actor, absl::Time now,
                                                   std::vector<eventstore::ReadModelWrite> writes,
                                                   const std::string& request_id = "") {
  eventstore::AppendRequest req;
  req.stream = stream;
  req.expected_version = expected;
  req.request_id = request_id;
  req.events.push_back(eventstore::MakeEvent(event, actor, now));
  req.read_model_writes = std::move(writes);
  return events->Append(std::move(req));
}

absl::StatusOr<eventstore::AppendResult> AppendMany(
    eventstore::EventStore* events, const std::string& stream, int64_t expected,
    const std::vector<v1::NotificationsEvent>& batch, const std::string& actor, absl::Time now,
    std::vector<eventstore::ReadModelWrite> writes, const std::string& request_id) {
  eventstore::AppendRequest req;
  req.stream = stream;
  req.expected_version = expected;
  req.request_id = request_id;
  for (const v1::NotificationsEvent& e : batch) {
    req.events.push_back(eventstore::MakeEvent(e, actor, now));
  }
  req.read_model_writes = std::move(writes);
  return events->Append(std::move(req));
}

}  // namespace

absl::StatusOr<int64_t> NotificationsStore::Checkpoint(const std::string& source) {
  ASSIGN_OR_RETURN(auto value, events_->GetReadModel(absl::StrCat("checkpoint/", source)));
  int64_t out = 0;
  if (value.has_value() && !absl::SimpleAtoi(*value, &out)) {
    return absl::DataLossError(absl::StrCat("checkpoint of ", source));
  }
  return out;
}

absl::StatusOr<std::optional<v1::DocumentFacts>> NotificationsStore::Facts(
    const std::string& document) {
  return ReadProto<v1::DocumentFacts>(events_, absl::StrCat("facts/", document));
}

absl::StatusOr<std::optional<v1::ClassWatch>> NotificationsStore::Watch(
    const std::string& class_name) {
  return ReadProto<v1::ClassWatch>(events_, absl::StrCat("watch/", class_name));
}

absl::StatusOr<std::string> NotificationsStore::LearnerClass(int year, int module,
                                                             const std::string& learner_id) {
  ASSIGN_OR_RETURN(auto value, events_->GetReadModel(absl::StrCat("learner-class/", year, "/",
                                                                  module, "/", learner_id)));
  return value.has_value() ? *value : std::string();
}

absl::StatusOr<std::vector<v1::DocumentFacts>> NotificationsStore::PendingDocuments() {
  std::vector<v1::DocumentFacts> out;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(auto rows, ScanProtos<v1::DocumentFacts>(events_, "pending/", after, 1000));
    for (auto& [key, facts] : rows) {
      after = key;
      out.push_back(std::move(facts));
    }
    if (rows.size() < 1000) return out;
  }
}

absl::StatusOr<int64_t> NotificationsStore::NextSequence(const std::string& recipient) {
  auto it = sequences_.find(recipient);
  if (it == sequences_.end()) {
    ASSIGN_OR_RETURN(auto value, events_->GetReadModel(absl::StrCat("seq/", recipient)));
    int64_t last = 0;
    if (value.has_value() && !absl::SimpleAtoi(*value, &last)) {
      return absl::DataLossError(absl::StrCat("sequence of ", recipient));
    }
    it = sequences_.emplace(recipient, last).first;
  }
  return ++it->second;
}

absl::StatusOr<bool> NotificationsStore::Produce(Production p, absl::Time now) {
  std::vector<Production> batch;
  batch.push_back(std::move(p));
  return ProduceBatch(std::move(batch), now);
}

absl::StatusOr<bool> NotificationsStore::ProduceBatch(std::vector<Production> batch,
                                                      absl::Time now) {
  if (batch.empty()) return false;
  // Channels come from preferences and the directory (a network call on a cache miss):
  // decided before taking the lock that orders every production.
  std::vector<std::vector<std::vector<v1::DeliveryJob>>> planned(batch.size());
  for (size_t b = 0; b < batch.size(); ++b) {
    for (const v1::Notification& n : batch[b].notifications) planned[b].push_back(plan_(n));
  }
  absl::MutexLock lock(&mu_);
  const std::string stream = absl::StrCat("sources/", batch.front().source_id);
  ASSIGN_OR_RETURN(auto existing, events_->StreamVersion(stream));
  if (existing > 0) return false;  // produced before (a replayed source event)

  std::vector<eventstore::ReadModelWrite> writes;
  std::vector<v1::NotificationsEvent> events;
  std::set<std::string> touched;  // recipients whose cached sequence may need a reload
  std::set<std::string> timer_ids;
  for (size_t b = 0; b < batch.size(); ++b) {
    Production& p = batch[b];
    const std::string id_prefix = absl::StrReplaceAll(p.source_id, {{":", "-"}, {"/", "-"}});
    v1::NotificationsEvent& event = events.emplace_back();
    v1::NotificationsProduced* produced = event.mutable_produced();
    produced->set_source(p.source_id);
    produced->set_source_position(p.checkpoint);
    for (size_t i = 0; i < p.notifications.size(); ++i) {
      v1::Notification& n = p.notifications[i];
      n.set_name(absl::StrCat("notifications/", id_prefix, "-", i));
      *n.mutable_created() = Ts(now);
      ASSIGN_OR_RETURN(auto seq, NextSequence(n.recipient()));
      touched.insert(n.recipient());
      n.set_sequence(seq);
      writes.push_back(
          {absl::StrFormat("inbox/%s/%020d", n.recipient(), seq), n.SerializeAsString()});
      writes.push_back({absl::StrCat("seq/", n.recipient()), absl::StrCat(seq)});
      for (v1::DeliveryJob& job : planned[b][i]) {
        job.set_id(absl::StrCat(n.name().substr(n.name().find('/') + 1), "-",
                                job.id().empty() ? v1::Channel_Name(job.channel()) : job.id()));
        job.set_notification(n.name());
        job.set_recipient(n.recipient());
        *job.mutable_next_attempt() = Ts(now);
        *job.mutable_payload() = n;
        if (job.digest()) {
          // Held for the daily digest; the digest timer of that morning sends them as one.
          writes.push_back({absl::StrFormat("digestq/%s/%020d", n.recipient(), n.sequence()),
                            job.SerializeAsString()});
          const absl::Time at = NextDigestTime(now);
          v1::Timer t;
          t.set_id(absl::StrCat("digest/", n.recipient(), "/", absl::ToUnixSeconds(at)));
          t.mutable_fire_at()->set_seconds(absl::ToUnixSeconds(at));
          t.set_kind(v1::DAILY_EMAIL_DIGEST);
          t.set_subject(n.recipient());
          p.timers.push_back(std::move(t));
          continue;
        }
        writes.push_back({DueKey(now, job.id()), job.SerializeAsString()});
      }
      *produced->add_notifications() = n;
    }
    if (p.facts) {
      const std::string& doc = p.facts->name();
      writes.push_back({absl::StrCat("facts/", doc), p.facts->SerializeAsString()});
      writes.push_back({absl::StrCat("pending/", doc), p.facts->waiting().empty()
                                                           ? std::optional<std::string>()
                                                           : p.facts->SerializeAsString()});
    }
    for (const v1::ClassWatch& w : p.watches) {
      writes.push_back({absl::StrCat("watch/", w.class_name()), w.SerializeAsString()});
    }
    for (const auto& [learner, cls] : p.learner_classes) {
      writes.push_back({absl::StrCat("learner-class/", learner), cls});
    }
    for (const v1::Timer& t : p.timers) {
      if (!timer_ids.insert(t.id()).second) continue;
      ASSIGN_OR_RETURN(auto known, events_->GetReadModel(absl::StrCat("timer/", t.id())));
      if (known.has_value()) continue;
      writes.push_back({TimerKey(t), t.SerializeAsString()});
      writes.push_back({absl::StrCat("timer/", t.id()), TimerKey(t)});
    }
    if (!p.fired_timer_key.empty()) writes.push_back({p.fired_timer_key, std::nullopt});
    for (v1::DeliveryJob& job : p.jobs) {
      *job.mutable_next_attempt() = Ts(now);
      writes.push_back({DueKey(now, job.id()), job.SerializeAsString()});
    }
    for (const std::string& key : p.delete_keys) writes.push_back({key, std::nullopt});
    if (!p.checkpoint_source.empty()) {
      writes.push_back(
          {absl::StrCat("checkpoint/", p.checkpoint_source), absl::StrCat(p.checkpoint)});
    }
  }  // for each production
  auto result = AppendMany(events_, stream, eventstore::kNoStream, events, "system/notifications",
                           now, std::move(writes), batch.front().source_id);
  if (!result.ok() || result->replayed) {
    for (const std::string& r : touched) sequences_.erase(r);  // reload from the store
    if (result.ok() || absl::IsAborted(result.status())) return false;
    return result.status();
  }
  return true;
}

absl::StatusOr<std::vector<v1::Notification>> NotificationsStore::Inbox(
    const std::string& recipient, int64_t after_sequence, int limit) {
  const std::string prefix = absl::StrCat("inbox/", recipient, "/");
  ASSIGN_OR_RETURN(
      auto rows,
      ScanProtos<v1::Notification>(
          events_, prefix,
          after_sequence > 0 ? absl::StrFormat("%s%020d", prefix, after_sequence) : "", limit));
  std::vector<v1::Notification> out;
  for (auto& [key, n] : rows) out.push_back(std::move(n));
  return out;
}

absl::StatusOr<int> NotificationsStore::MarkRead(const std::string& recipient,
                                                 const std::vector<std::string>& names,
                                                 absl::Time now) {
  absl::MutexLock lock(&mu_);
  std::set<std::string> wanted(names.begin(), names.end());
  std::vector<eventstore::ReadModelWrite> writes;
  v1::NotificationsEvent event;
  int64_t after = 0;
  while (true) {
    ASSIGN_OR_RETURN(auto page, Inbox(recipient, after, 1000));
    for (v1::Notification& n : page) {
      after = n.sequence();
      if (n.read() || (!wanted.empty() && !wanted.count(n.name()))) continue;
      n.set_read(true);
      event.mutable_marked_read()->add_notifications(n.name());
      writes.push_back(
          {absl::StrFormat("inbox/%s/%020d", recipient, n.sequence()), n.SerializeAsString()});
    }
    if (page.size() < 1000) break;
  }
  if (writes.empty()) return 0;
  const int marked = event.marked_read().notifications_size();
  ASSIGN_OR_RETURN(
      auto r, AppendOne(events_, absl::StrCat("inbox/", recipient), eventstore::kAnyVersion, event,
                        recipient, now, std::move(writes)));
  return marked;
}

absl::StatusOr<std::vector<std::pair<std::string, v1::DeliveryJob>>> NotificationsStore::DueJobs(
    absl::Time now, int limit) {
  ASSIGN_OR_RETURN(auto rows, ScanProtos<v1::DeliveryJob>(events_, "due/", "", limit));
  const std::string until = absl::StrCat("due/", Millis(now), "/\xff");
  std::vector<std::pair<std::string, v1::DeliveryJob>> out;
  for (auto& row : rows) {
    if (row.first > until) break;
    out.push_back(std::move(row));
  }
  return out;
}

absl::Status NotificationsStore::RecordAttempt(const std::string& due_key, v1::DeliveryJob job,
                                               bool delivered, const std::string& error, bool dead,
                                               absl::Time retry_at, absl::Time now) {
  v1::NotificationsEvent event;
  v1::DeliveryAttempted* a = event.mutable_attempted();
  a->set_job(job.id());
  a->set_delivered(delivered);
  a->set_error(error);
  a->set_attempts(job.attempts());
  a->set_dead(dead);
  std::vector<eventstore::ReadModelWrite> writes = {{due_key, std::nullopt}};
  job.set_last_error(error);
  if (dead) {
    writes.push_back({absl::StrCat("dead/", job.id()), job.SerializeAsString()});
  } else if (!delivered) {
    *job.mutable_next_attempt() = Ts(retry_at);
    writes.push_back({DueKey(retry_at, job.id()), job.SerializeAsString()});
  }
  auto r = AppendOne(events_, absl::StrCat("jobs/", job.id()), eventstore::kAnyVersion, event,
                     "system/notifications", now, std::move(writes));
  return r.status();
}

absl::StatusOr<std::vector<v1::DeliveryJob>> NotificationsStore::DeadLetters(
    const std::string& after, int limit) {
  ASSIGN_OR_RETURN(auto rows,
                   ScanProtos<v1::DeliveryJob>(
                       events_, "dead/", after.empty() ? "" : absl::StrCat("dead/", after), limit));
  std::vector<v1::DeliveryJob> out;
  for (auto& [key, job] : rows) out.push_back(std::move(job));
  return out;
}

absl::Status NotificationsStore::ReplayDeadLetter(const std::string& job_id, const std::string& by,
                                                  absl::Time now) {
  ASSIGN_OR_RETURN(auto job, ReadProto<v1::DeliveryJob>(events_, absl::StrCat("dead/", job_id)));
  if (!job.has_value()) {
    return absl::NotFoundError(absl::StrCat("no dead letter '", job_id, "' (ListDeadLetters)"));
  }
  v1::DeliveryJob j = *job;
  j.set_attempts(0);
  *j.mutable_next_attempt() = Ts(now);
  v1::NotificationsEvent event;
  event.mutable_replayed()->set_job(job_id);
  event.mutable_replayed()->set_by(by);
  auto r =
      AppendOne(events_, absl::StrCat("jobs/", job_id), eventstore::kAnyVersion, event, by, now,
                {{absl::StrCat("dead/", job_id), std::nullopt},
                 {DueKey(now, job_id), j.SerializeAsString()}});
  return r.status();
}

absl::StatusOr<std::vector<std::pair<std::string, v1::Timer>>> NotificationsStore::DueTimers(
    absl::Time now, int limit) {
  ASSIGN_OR_RETURN(auto rows, ScanProtos<v1::Timer>(events_, "timers/", "", limit));
  const std::string until = absl::StrCat("timers/", Millis(now), "/\xff");
  std::vector<std::pair<std::string, v1::Timer>> out;
  for (auto& row : rows) {
    if (row.first > until) break;
    out.push_back(std::move(row));
  }
  return out;
}

absl::Status NotificationsStore::EnsureTimer(const v1::Timer& timer, absl::Time now) {
  Production p;
  p.source_id = absl::StrCat("timer-set:", timer.id());
  p.timers.push_back(timer);
  auto r = Produce(std::move(p), now);
  return r.status();
}

absl::StatusOr<std::vector<std::pair<std::string, v1::DeliveryJob>>>
NotificationsStore::HeldForDigest(const std::string& person) {
  return ScanProtos<v1::DeliveryJob>(events_, absl::StrCat("digestq/", person, "/"), "", 10000);
}

absl::StatusOr<std::optional<v1::Preferences>> NotificationsStore::Preferences(
    const std::string& person) {
  return ReadProto<v1::Preferences>(events_, absl::StrCat("prefs/", person));
}

absl::Status NotificationsStore::SetPreferences(const v1::Preferences& p, const std::string& actor,
                                                absl::Time now, const std::string& request_key,
                                                const v1::RequestRecord& request) {
  v1::NotificationsEvent event;
  *event.mutable_preferences_set()->mutable_preferences() = p;
  std::vector<eventstore::ReadModelWrite> writes = {
      {absl::StrCat("prefs/", p.person()), p.SerializeAsString()}};
  if (!request_key.empty()) {
    writes.push_back({absl::StrCat("req/", request_key), request.SerializeAsString()});
  }
  auto r = AppendOne(events_, absl::StrCat("preferences/", p.person()), eventstore::kAnyVersion,
                     event, actor, now, std::move(writes));
  return r.status();
}

absl::StatusOr<std::optional<v1::RequestRecord>> NotificationsStore::FindRequest(
    const std::string& request_key) {
  return ReadProto<v1::RequestRecord>(events_, absl::StrCat("req/", request_key));
}

absl::StatusOr<NotificationsStore::Counts> NotificationsStore::Count() {
  Counts c;
  for (auto [prefix, out] :
       {std::pair{"due/", &c.jobs}, std::pair{"dead/", &c.dead}, std::pair{"timers/", &c.timers}}) {
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(auto rows, events_->ScanReadModel(prefix, after, 10000));
      *out += static_cast<int64_t>(rows.size());
      if (rows.size() < 10000) break;
      after = rows.back().first;
    }
  }
  return c;
}

}  // namespace bdtx::notifications
