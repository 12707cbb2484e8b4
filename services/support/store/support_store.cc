#include "services/support/store/support_store.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/server/logging.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace bdtx::support {
namespace {

namespace v1 = ::bdtx::v1;

constexpr size_t kMaxRequestIdBytes = 100;

std::string RecordKey(const RequestKey& key) {
  return absl::StrCat("req/", idempotency::ScopedId(key.binding.caller, key.request_id));
}

absl::Time TimeOf(const eventstore::EventEnvelope& e) {
  return absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(e.time()));
}

}  // namespace

absl::Status SupportStore::Recover() {
  absl::MutexLock lock(&mu_);
  int64_t position = 1, applied = 0;
  const absl::Time started = absl::Now();
  v1::SupportEvent event;
  while (true) {
    auto visited = events_->ScanAll(position, 100'000, [&](const eventstore::EventEnvelope& e) {
      position = e.position() + 1;
      if (e.payload().UnpackTo(&event)) {
        model_.Apply(e.stream(), e.version(), event, TimeOf(e));
        ++applied;
      }
      return true;
    });
    if (!visited.ok()) return visited.status();
    if (*visited == 0) break;
  }
  server::LogInfo("support state recovered",
                  {{"events", absl::StrCat(applied)},
                   {"questions", absl::StrCat(model_.questions())},
                   {"seconds", absl::StrCat(absl::ToDoubleSeconds(absl::Now() - started))}});
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> SupportStore::Replay(const RequestKey& key) const {
  if (key.request_id.empty()) return std::nullopt;
  if (key.request_id.size() > kMaxRequestIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat("request_id is ", key.request_id.size(),
                                                   " bytes; at most ", kMaxRequestIdBytes));
  }
  ASSIGN_OR_RETURN(auto stored, events_->GetReadModel(RecordKey(key)));
  if (!stored.has_value()) return std::nullopt;
  v1::RequestRecord record;
  if (!record.ParseFromString(*stored)) {
    return absl::DataLossError(
        absl::StrCat("the record of request_id ", key.request_id, " cannot be read"));
  }
  RETURN_IF_ERROR(idempotency::CheckSame(key.binding, record));
  return record.response();
}

void SupportStore::Append(Decision decision, const RequestKey& key, absl::Time now,
                          std::string response, Done<std::string> done) {
  eventstore::AppendRequest req;
  req.stream = decision.stream;
  req.expected_version = decision.expected_version;
  req.events.push_back(eventstore::MakeEvent(decision.event, key.binding.caller, now));
  if (!key.request_id.empty()) {
    v1::RequestRecord record = idempotency::Record(key.binding);
    record.set_response(response);
    *req.events.back().mutable_request() = record;
    req.read_model_writes.push_back({RecordKey(key), record.SerializeAsString()});
  }
  auto shared = std::make_shared<Decision>(std::move(decision));
  events_->AppendAsync(
      std::move(req),
      [this, shared, key, now, response = std::move(response),
       done = std::move(done)](absl::StatusOr<eventstore::AppendResult> result) mutable {
        if (result.ok()) {
          absl::MutexLock lock(&mu_);
          model_.Apply(shared->stream, result->last_version, shared->event, now);
          return std::move(done)(std::move(response));
        }
        if (absl::IsAborted(result.status()) && !key.request_id.empty()) {
          // Perhaps this very request raced its own retry and the other attempt won.
          auto first = Replay(key);
          if (first.ok() && first->has_value()) return std::move(done)(**first);
          if (!first.ok()) return std::move(done)(first.status());
        }
        std::move(done)(result.status());
      });
}

void SupportStore::QuestionCommand(const RequestKey& key, absl::Time now, Decide decide,
                                   Done<v1::Question> done) {
  auto replay = Replay(key);
  if (!replay.ok()) return std::move(done)(replay.status());
  auto parse = [](absl::StatusOr<std::string> bytes) -> absl::StatusOr<v1::Question> {
    if (!bytes.ok()) return bytes.status();
    v1::Question q;
    if (!q.ParseFromString(*bytes)) return absl::DataLossError("stored answer is corrupt");
    return q;
  };
  if (replay->has_value()) return std::move(done)(parse(**replay));
  absl::StatusOr<Decision> decision;
  std::string response;
  {
    absl::ReaderMutexLock lock(&mu_);
    decision = std::move(decide)(model_);
    if (decision.ok()) response = model_.Preview(*decision, now).SerializeAsString();
  }
  if (!decision.ok()) return std::move(done)(decision.status());
  Append(*std::move(decision), key, now, std::move(response),
         [done = std::move(done), parse](absl::StatusOr<std::string> bytes) mutable {
           std::move(done)(parse(std::move(bytes)));
         });
}

void SupportStore::ActivityCommand(const RequestKey& key, absl::Time now, Decide decide,
                                   Done<v1::SupportActivity> done) {
  auto replay = Replay(key);
  if (!replay.ok()) return std::move(done)(replay.status());
  auto parse = [](absl::StatusOr<std::string> bytes) -> absl::StatusOr<v1::SupportActivity> {
    if (!bytes.ok()) return bytes.status();
    v1::SupportActivity a;
    if (!a.ParseFromString(*bytes)) return absl::DataLossError("stored answer is corrupt");
    return a;
  };
  if (replay->has_value()) return std::move(done)(parse(**replay));
  absl::StatusOr<Decision> decision;
  {
    absl::ReaderMutexLock lock(&mu_);
    decision = std::move(decide)(model_);
  }
  if (!decision.ok()) return std::move(done)(decision.status());
  std::string response = decision->event.activity_logged().activity().SerializeAsString();
  Append(*std::move(decision), key, now, std::move(response),
         [done = std::move(done), parse](absl::StatusOr<std::string> bytes) mutable {
           std::move(done)(parse(std::move(bytes)));
         });
}

}  // namespace bdtx::support
