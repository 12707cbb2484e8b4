#include "services/grading/store/grading_store.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/server/logging.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace bdtx::grading {
namespace {

constexpr int kLmsRowsPerEvent = 5'000;

std::string RequestKey(const std::string& request_id) { return "req/" + request_id; }
std::string AssignmentKey(const std::string& name) { return "assignment/" + name; }

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

bdtx::v1::Run RunOf(const bdtx::v1::RunEnrolled& e) {
  bdtx::v1::Run run;
  run.set_class_name(e.class_name());
  run.set_year(e.year());
  run.set_module(e.module());
  *run.mutable_start() = e.start();
  *run.mutable_end() = e.end();
  *run.mutable_grading_deadline() = e.grading_deadline();
  run.set_learners(e.learners_size());
  *run.mutable_graders() = e.graders();
  *run.mutable_skipped_core_members() = e.skipped_core_members();
  if (!e.class_unit_ancestry().empty()) run.set_unit(e.class_unit_ancestry(0));
  return run;
}

// What an assignment event does to the assignment's read model.
void Fold(bdtx::v1::Assignment* a, const GradingEvent& e, int64_t version, absl::Time now) {
  switch (e.kind_case()) {
    case GradingEvent::kAssignmentSubmitted:
      a->set_submitted(true);
      a->set_file_ref(e.assignment_submitted().file_ref());
      a->set_sha256(e.assignment_submitted().sha256());
      a->set_version(version);
      break;
    case GradingEvent::kAssignmentGraded: {
      const auto& g = e.assignment_graded();
      a->set_verdict(g.verdict());
      a->set_grader(g.grader());
      a->set_has_score(g.has_score());
      a->set_score(g.score());
      a->set_comment(g.comment());
      a->set_version(version);
      break;
    }
    case GradingEvent::kGradingReviewed: {
      bdtx::v1::Review* r = a->add_reviews();
      r->set_lecturer(e.grading_reviewed().lecturer());
      r->set_comment(e.grading_reviewed().comment());
      *r->mutable_time() = ToProto(now);
      break;
    }
    default:
      break;
  }
}

}  // namespace

absl::Status GradingStore::Recover() {
  absl::MutexLock lock(&mu_);
  int64_t position = 1, applied = 0, next_log = 1'000'000;
  const absl::Time started = absl::Now();
  GradingEvent event;
  while (true) {
    // The visitor runs on this thread, inside the lock taken above.
    auto apply = [&](const eventstore::EventEnvelope& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      position = e.position() + 1;
      if (e.payload().UnpackTo(&event)) {
        model_.Apply(e.stream(), e.version(), event);
        ++applied;
      }
      return true;
    };
    ASSIGN_OR_RETURN(auto visited, events_->ScanAll(position, 100'000, apply));
    if (visited == 0) break;
    if (applied >= next_log) {
      server::LogInfo("grading: replaying events", {{"applied", absl::StrCat(applied)}});
      next_log += 1'000'000;
    }
  }
  server::LogInfo("grading state recovered",
                  {{"events", absl::StrCat(applied)},
                   {"runs", absl::StrCat(model_.runs())},
                   {"seconds", absl::StrCat(absl::ToDoubleSeconds(absl::Now() - started))}});
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> GradingStore::Replayed(
    const std::string& request_id, const idempotency::Binding& binding) const {
  if (request_id.empty()) return std::nullopt;
  if (request_id.size() > 100) {
    return absl::InvalidArgumentError("request_id is longer than 100 bytes");
  }
  ASSIGN_OR_RETURN(auto stored, events_->GetReadModel(
                                    RequestKey(idempotency::ScopedId(binding.caller, request_id))));
  if (!stored.has_value()) return std::nullopt;
  bdtx::v1::RequestRecord record;
  if (!record.ParseFromString(*stored)) {
    return absl::DataLossError(
        absl::StrCat("the record of request_id ", request_id, " cannot be read"));
  }
  RETURN_IF_ERROR(idempotency::CheckSame(binding, record));
  return std::optional<std::string>(record.response());
}

void GradingStore::Append(Decision decision, const std::string& request_id,
                          const idempotency::Binding& binding, const std::string& actor,
                          absl::Time now, std::vector<eventstore::ReadModelWrite> writes,
                          std::string response, Done<std::string> done) {
  eventstore::AppendRequest req;
  req.stream = decision.stream;
  req.expected_version = decision.expected_version;
  const std::string scoped =
      request_id.empty() ? "" : idempotency::ScopedId(binding.caller, request_id);
  req.request_id = scoped;
  bdtx::v1::RequestRecord record = idempotency::Record(binding);
  record.set_response(response);
  req.events.push_back(eventstore::MakeEvent(decision.event, actor, now));
  if (!request_id.empty()) *req.events.back().mutable_request() = record;
  req.read_model_writes = std::move(writes);
  if (!request_id.empty()) {
    req.read_model_writes.push_back({RequestKey(scoped), record.SerializeAsString()});
  }
  auto shared = std::make_shared<Decision>(std::move(decision));
  events_->AppendAsync(
      std::move(req), [this, shared, response = std::move(response), done = std::move(done)](
                          absl::StatusOr<eventstore::AppendResult> result) mutable {
        {
          absl::MutexLock lock(&mu_);
          if (result.ok() && !result->replayed) {
            model_.Apply(shared->stream, result->last_version, shared->event);
          }
          model_.Release(shared->reservation);
        }
        if (!result.ok()) return std::move(done)(result.status());
        if (result->replayed) {
          // The same caller's request_id raced another of their commands and that one
          // won: the retry replays it or gets REQUEST_ID_REUSED (Replayed checks).
          return std::move(done)(absl::AbortedError(
              "a concurrent call with the same request_id was applied first; retry"));
        }
        std::move(done)(response);
      });
}

void GradingStore::RunCommand(const std::string& request_id, const idempotency::Binding& binding,
                              const std::string& actor, absl::Time now, Decide decide,
                              Done<bdtx::v1::Run> done) {
  auto replay = Replayed(request_id, binding);
  if (!replay.ok()) return std::move(done)(replay.status());
  if (replay->has_value()) {
    bdtx::v1::Run run;
    if (!run.ParseFromString(**replay)) return std::move(done)(absl::DataLossError("bad record"));
    return std::move(done)(run);
  }
  absl::StatusOr<Decision> decision;
  bdtx::v1::Run answer;
  {
    absl::MutexLock lock(&mu_);
    decision = std::move(decide)(model_);
    if (!decision.ok()) return std::move(done)(decision.status());
    if (decision->event.has_run_enrolled()) {
      answer = RunOf(decision->event.run_enrolled());
    } else {
      std::string class_name =
          absl::StrCat("classes/", decision->stream.substr(decision->stream.find('/') + 1));
      auto run = model_.GetRun(class_name);
      if (!run.ok()) return std::move(done)(run.status());
      answer = *std::move(run);
      *answer.mutable_grading_deadline() = decision->event.extension_granted().deadline();
      answer.set_extended(true);
    }
  }
  Append(*std::move(decision), request_id, binding, actor, now, {}, answer.SerializeAsString(),
         [done = std::move(done)](absl::StatusOr<std::string> bytes) mutable {
           if (!bytes.ok()) return std::move(done)(bytes.status());
           bdtx::v1::Run run;
           run.ParseFromString(*bytes);
           std::move(done)(run);
         });
}

void GradingStore::AssignmentCommand(const std::string& request_id,
                                     const idempotency::Binding& binding,
                                     const std::string& assignment, const std::string& actor,
                                     absl::Time now, Decide decide,
                                     Done<bdtx::v1::Assignment> done) {
  auto replay = Replayed(request_id, binding);
  if (!replay.ok()) return std::move(done)(replay.status());
  if (replay->has_value()) {
    bdtx::v1::Assignment a;
    if (!a.ParseFromString(**replay)) return std::move(done)(absl::DataLossError("bad record"));
    return std::move(done)(a);
  }
  absl::StatusOr<Decision> decision;
  {
    absl::MutexLock lock(&mu_);
    decision = std::move(decide)(model_);
  }
  if (!decision.ok()) return std::move(done)(decision.status());
  // The decision reserved the assignment: no other command changes it until Release,
  // so this read-modify-write of its read model cannot lose an update.
  auto current = GetAssignment(assignment);
  if (!current.ok()) {
    absl::MutexLock lock(&mu_);
    model_.Release(decision->reservation);
    return std::move(done)(current.status());
  }
  Fold(&*current, decision->event, decision->expected_version + 1, now);
  std::string bytes = current->SerializeAsString();
  std::vector<eventstore::ReadModelWrite> writes;
  writes.push_back({AssignmentKey(assignment), bytes});
  Append(*std::move(decision), request_id, binding, actor, now, std::move(writes), std::move(bytes),
         [done = std::move(done)](absl::StatusOr<std::string> bytes) mutable {
           if (!bytes.ok()) return std::move(done)(bytes.status());
           bdtx::v1::Assignment a;
           a.ParseFromString(*bytes);
           std::move(done)(a);
         });
}

absl::StatusOr<bdtx::v1::Assignment> GradingStore::GetAssignment(const std::string& name) const {
  std::string class_name, learner;
  RETURN_IF_ERROR(ParseAssignmentName(name, &class_name, &learner));
  bdtx::v1::Assignment a;
  ASSIGN_OR_RETURN(auto stored, events_->GetReadModel(AssignmentKey(name)));
  if (stored.has_value()) {
    if (!a.ParseFromString(*stored)) return absl::DataLossError("assignment record is corrupt");
    return a;
  }
  // Nothing submitted yet: the empty assignment of an enrolled learner.
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto run, model_.GetRun(class_name));
  a.set_name(name);
  a.set_learner(learner);
  a.set_class_name(class_name);
  a.set_year(run.year());
  a.set_module(run.module());
  return a;
}

absl::StatusOr<bdtx::v1::RunEnrolled> GradingStore::GetEnrolment(
    const std::string& class_name) const {
  const std::string stream = absl::StrCat("runs/", class_name.substr(class_name.find('/') + 1));
  ASSIGN_OR_RETURN(auto events, events_->ReadStream(stream, 1, 1));
  GradingEvent e;
  if (events.empty() || !(events)[0].payload().UnpackTo(&e) || !e.has_run_enrolled()) {
    return absl::NotFoundError(absl::StrCat(class_name, " is not enrolled in grading"));
  }
  return e.run_enrolled();
}

absl::StatusOr<bdtx::v1::ImportLmsResultsResponse> GradingStore::ImportLms(
    const std::vector<bdtx::v1::LmsRow>& rows, const std::string& file_name,
    const std::string& sha256, const std::string& actor, absl::Time now) {
  bdtx::v1::ImportLmsResultsResponse out;
  out.set_rows(static_cast<int32_t>(rows.size()));
  out.set_sha256(sha256);
  eventstore::AppendRequest req;
  req.stream = "lms-imports/" + sha256;
  req.expected_version = eventstore::kNoStream;
  std::vector<GradingEvent> events;
  for (size_t i = 0; i < rows.size(); i += kLmsRowsPerEvent) {
    GradingEvent e;
    auto* imported = e.mutable_lms_results_imported();
    imported->set_file_name(file_name);
    imported->set_sha256(sha256);
    for (size_t j = i; j < std::min(rows.size(), i + kLmsRowsPerEvent); ++j) {
      *imported->add_rows() = rows[j];
    }
    req.events.push_back(eventstore::MakeEvent(e, actor, now));
    events.push_back(std::move(e));
  }
  ASSIGN_OR_RETURN(auto version, events_->StreamVersion(req.stream));
  if (version > 0) {
    out.set_already_imported(true);
    return out;
  }
  // Not under the lock: the store's callbacks take it. Folded in one critical section
  // afterwards, so commands never see half an import.
  auto result = events_->Append(std::move(req));
  if (absl::IsAborted(result.status())) {
    out.set_already_imported(true);
    return out;
  }
  if (!result.ok()) return result.status();
  absl::MutexLock lock(&mu_);
  int64_t v = result->first_version;
  for (const auto& e : events) model_.Apply("lms-imports/" + sha256, v++, e);
  return out;
}

}  // namespace bdtx::grading
