#include "services/approvals/store/approvals_store.h"

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/crypto/sha256.h"
#include "common/names/resource_name.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace bdtx::approvals {
namespace {

using google::protobuf::util::TimeUtil;

constexpr PageLimits kPageLimits{.default_size = 50, .max_size = 500};

// Read-model keys (docs/approvals.md).
std::string DocKey(absl::string_view document_name) { return "doc/" + BareId(document_name); }
std::string InboxKey(absl::string_view person, absl::string_view document_name) {
  return absl::StrCat("inbox/", BareId(person), "/", BareId(document_name));
}
std::string UnitKey(absl::string_view unit, DocumentState state, absl::string_view document_name) {
  return absl::StrFormat("unit/%s/%02d/%s", BareId(unit), static_cast<int>(state),
                         BareId(document_name));
}

// The index keys a document in its current state appears under.
std::vector<std::string> IndexKeys(const Document& d) {
  std::vector<std::string> keys;
  if (d.version == 0) return keys;
  const std::string name = d.key.Name();
  for (const std::string& person : PeopleToAct(d)) keys.push_back(InboxKey(person, name));
  for (const std::string& unit : d.routing.author_unit_ancestry()) {
    keys.push_back(UnitKey(unit, d.state, name));
  }
  return keys;
}

// Folds one stored event into `loaded` (state, chain head, time, request record).
absl::Status Fold(const eventstore::EventEnvelope& e, Loaded& loaded) {
  ApprovalEvent event;
  if (!e.payload().UnpackTo(&event)) {
    return absl::DataLossError(
        absl::StrCat("event ", e.version(), " of ", e.stream(), " is not an approval event"));
  }
  loaded.document = Apply(std::move(loaded.document), event);
  loaded.head_hash = EventHash(e);
  loaded.updated = e.time();
  // The store records "{document id}/{request_id}"; an append of several events
  // carries the id on each, and the answer was the document after the last one.
  absl::string_view request = e.request_id();
  if (absl::ConsumePrefix(&request, BareId(e.stream())) && absl::ConsumePrefix(&request, "/")) {
    if (!loaded.requests.empty() && loaded.requests.back().id == request) {
      loaded.requests.back().version = e.version();
    } else {
      loaded.requests.push_back({std::string(request), e.version(), e.request()});
    }
  }
  return absl::OkStatus();
}

std::string Action(const ApprovalEvent& e) {
  switch (e.kind_case()) {
    case ApprovalEvent::kSubmitted:
      return "submitted";
    case ApprovalEvent::kLecturerApproved:
      return "lecturer_approved";
    case ApprovalEvent::kReturned:
      return "returned";
    case ApprovalEvent::kSignedOff:
      return "signed_off";
    case ApprovalEvent::kRerouted:
      return "rerouted";
    default:
      return "unknown";
  }
}

}  // namespace

std::string EventHash(const eventstore::EventEnvelope& e) {
  return Sha256Hex(absl::StrCat(e.stream(), "\n", e.version(), "\n", e.time().seconds(), ".",
                                e.time().nanos(), "\n", e.actor(), "\n", e.payload().type_url(),
                                "\n", e.payload().value()));
}

bdtx::v1::Document Summarize(const Loaded& loaded, absl::Time deadline) {
  const Document& d = loaded.document;
  bdtx::v1::Document s;
  s.set_name(d.key.Name());
  s.set_author(d.key.author);
  s.set_kind(d.key.kind);
  s.set_year(d.key.year);
  s.set_module(d.key.module);
  s.set_state(d.state);
  s.set_version(d.version);
  *s.mutable_routing() = d.routing;
  s.set_content_sha256(d.content_sha256);
  s.set_not_deployed(d.not_deployed);
  s.set_last_reason(d.last_reason);
  for (const std::string& p : PeopleToAct(d)) s.add_waiting_for(p);
  s.set_head_hash(loaded.head_hash);
  s.set_late(d.late);
  if (loaded.document.version > 0) *s.mutable_updated() = loaded.updated;
  if (deadline != absl::InfiniteFuture()) {
    *s.mutable_deadline() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(deadline));
  }
  return s;
}

void ApprovalsStore::Remember(LoadedPtr loaded, bool overwrite) const {
  const std::string name = loaded->document.key.Name();
  Cache dropped;  // destroyed after the lock is released
  absl::MutexLock lock(&cache_mu_);
  if (!overwrite && (newer_.contains(name) || older_.contains(name))) {
    return;  // a read may be older than a commit that finished meanwhile: never replace
  }
  older_.erase(name);
  newer_.insert_or_assign(name, std::move(loaded));
  if (newer_.size() >= kCacheGeneration) {
    dropped.swap(older_);
    older_.swap(newer_);
  }
}

void ApprovalsStore::Forget(const std::string& name) const {
  absl::MutexLock lock(&cache_mu_);
  newer_.erase(name);
  older_.erase(name);
}

absl::StatusOr<LoadedPtr> ApprovalsStore::Load(const DocumentKey& key) const {
  const std::string name = key.Name();
  {
    absl::MutexLock lock(&cache_mu_);
    if (auto it = newer_.find(name); it != newer_.end()) return it->second;
    if (auto it = older_.find(name); it != older_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(Loaded loaded, LoadWithEvents(key));
  loaded.events.clear();
  auto shared = std::make_shared<const Loaded>(std::move(loaded));
  if (shared->document.version > 0) Remember(shared, /*overwrite=*/false);
  return shared;
}

absl::StatusOr<Loaded> ApprovalsStore::LoadWithEvents(const DocumentKey& key,
                                                      int64_t up_to_version) const {
  Loaded loaded;
  loaded.document.key = key;
  int64_t from = 1;
  while (from <= up_to_version) {
    ASSIGN_OR_RETURN(auto batch, store_->ReadStream(key.Name(), from, 1000));
    if (batch.empty()) break;
    from = batch.back().version() + 1;
    for (auto& e : batch) {
      if (e.version() > up_to_version) break;
      RETURN_IF_ERROR(Fold(e, loaded));
      loaded.events.push_back(std::move(e));
    }
  }
  return loaded;
}

void ApprovalsStore::Commit(LoadedPtr before, std::vector<ApprovalEvent> events,
                            const std::string& actor, absl::Time now, const std::string& request_id,
                            const bdtx::v1::RequestRecord& record, absl::Time deadline,
                            absl::AnyInvocable<void(absl::StatusOr<bdtx::v1::Document>) &&> done) {
  auto after = std::make_shared<Loaded>(*before);
  eventstore::AppendRequest request;
  request.stream = before->document.key.Name();
  request.expected_version = before->document.version;
  if (!request_id.empty())
    request.request_id = absl::StrCat(BareId(request.stream), "/", request_id);
  for (ApprovalEvent& event : events) {
    event.set_prev_hash(after->head_hash);
    eventstore::EventEnvelope envelope = eventstore::MakeEvent(event, actor, now);
    envelope.set_stream(request.stream);
    envelope.set_version(after->document.version + 1);
    if (!request_id.empty()) *envelope.mutable_request() = record;
    after->head_hash = EventHash(envelope);
    after->updated = envelope.time();
    after->document = Apply(std::move(after->document), event);
    request.events.push_back(std::move(envelope));
  }
  if (!request_id.empty()) after->requests.push_back({request_id, after->document.version, record});
  bdtx::v1::Document summary = Summarize(*after, deadline);
  // Index keys move with the state: drop the old ones, write the new ones.
  for (std::string& key : IndexKeys(before->document)) {
    request.read_model_writes.push_back({std::move(key), std::nullopt});
  }
  for (std::string& key : IndexKeys(after->document)) {
    request.read_model_writes.push_back({std::move(key), ""});
  }
  std::string doc_key = DocKey(request.stream);
  request.read_model_writes.push_back({doc_key, summary.SerializeAsString()});

  std::optional<TallyKey> tally_before;
  if (before->document.version > 0) tally_before = TallyKeyOf(before->document);
  TallyKey tally_after = TallyKeyOf(after->document);

  store_->AppendAsync(
      std::move(request),
      [this, summary = std::move(summary), doc_key = std::move(doc_key), after = std::move(after),
       tally_before = std::move(tally_before), tally_after = std::move(tally_after),
       done = std::move(done)](absl::StatusOr<eventstore::AppendResult> result) mutable {
        if (!result.ok()) {
          // Someone else moved the document (or the write failed): reload next time.
          Forget(after->document.key.Name());
          std::move(done)(result.status());
          return;
        }
        if (result->replayed) {
          // The same request_id raced another command on this document and that one won.
          // Whether this one is its retry is for Replay to say (caller, method and
          // request must match): the client retries and gets the first answer or
          // REQUEST_ID_REUSED, never the other command's document unchecked.
          Forget(after->document.key.Name());
          std::move(done)(absl::AbortedError(
              "a concurrent call with the same request_id was applied first; retry"));
          return;
        }
        {
          absl::MutexLock lock(&tally_mu_);
          if (tally_before.has_value()) {
            auto it = tally_.find(*tally_before);
            if (it != tally_.end() && --it->second <= 0) tally_.erase(it);
          }
          ++tally_[tally_after];
        }
        Remember(std::move(after), /*overwrite=*/true);
        std::move(done)(std::move(summary));
      });
}

absl::StatusOr<bdtx::v1::Document> ApprovalsStore::GetSummary(
    absl::string_view document_name) const {
  ASSIGN_OR_RETURN(auto value, store_->GetReadModel(DocKey(document_name)));
  bdtx::v1::Document doc;
  if (!value.has_value()) return absl::NotFoundError(absl::StrCat("no document ", document_name));
  if (!doc.ParseFromString(*value)) {
    return absl::DataLossError(absl::StrCat("summary of ", document_name, " is corrupt"));
  }
  return doc;
}

absl::StatusOr<std::optional<bdtx::v1::Document>> ApprovalsStore::Replay(
    const Loaded& loaded, absl::string_view request_id, const idempotency::Binding& binding,
    absl::Time deadline) const {
  if (request_id.empty()) return std::nullopt;
  for (const auto& [id, version, record] : loaded.requests) {
    if (id != request_id) continue;
    RETURN_IF_ERROR(idempotency::CheckSame(binding, record));
    if (version == loaded.document.version) return Summarize(loaded, deadline);
    // Later commands moved the document on: rebuild it as this one left it.
    ASSIGN_OR_RETURN(auto then, LoadWithEvents(loaded.document.key, version));
    return Summarize(then, deadline);
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<bdtx::v1::HistoryEntry>> ApprovalsStore::History(
    const DocumentKey& key) const {
  ASSIGN_OR_RETURN(auto loaded, LoadWithEvents(key));
  std::vector<bdtx::v1::HistoryEntry> out;
  for (const auto& e : loaded.events) {
    bdtx::v1::HistoryEntry entry;
    e.payload().UnpackTo(entry.mutable_event());
    entry.set_version(e.version());
    *entry.mutable_time() = e.time();
    entry.set_actor(e.actor());
    entry.set_action(Action(entry.event()));
    entry.set_hash(EventHash(e));
    if (entry.event().has_returned()) entry.set_reason(entry.event().returned().reason());
    if (entry.event().has_rerouted()) entry.set_reason(entry.event().rerouted().reason());
    if (entry.event().has_submitted()) {
      entry.set_content_sha256(entry.event().submitted().content_sha256());
    }
    out.push_back(std::move(entry));
  }
  return out;
}

absl::StatusOr<bdtx::v1::VerifyChainResponse> ApprovalsStore::VerifyChain(
    const DocumentKey& key) const {
  ASSIGN_OR_RETURN(auto loaded, LoadWithEvents(key));
  bdtx::v1::VerifyChainResponse response;
  response.set_events(static_cast<int64_t>(loaded.events.size()));
  std::string expected_prev;
  for (const auto& e : loaded.events) {
    ApprovalEvent event;
    e.payload().UnpackTo(&event);
    if (event.prev_hash() != expected_prev) {
      response.set_first_broken_version(e.version());
      response.set_detail(absl::StrCat("event ", e.version(), " names previous hash '",
                                       event.prev_hash(), "' but event ", e.version() - 1,
                                       " hashes to '", expected_prev, "'"));
      return response;
    }
    expected_prev = EventHash(e);
  }
  auto summary = GetSummary(key.Name());
  if (summary.ok() && summary->head_hash() != expected_prev) {
    response.set_first_broken_version(response.events());
    response.set_detail("the newest event does not hash to the head recorded in the read model");
    return response;
  }
  response.set_intact(true);
  return response;
}

absl::StatusOr<Page<bdtx::v1::Document>> ApprovalsStore::Inbox(
    const std::string& person, const std::string& unit, const std::vector<bdtx::v1::Role>& roles,
    int page_size, absl::string_view page_token) const {
  const std::string prefix = absl::StrCat("inbox/", BareId(person), "/");
  ASSIGN_OR_RETURN(auto after, DecodePageToken(page_token, prefix));
  const int size = kPageLimits.Clamp(page_size);
  ASSIGN_OR_RETURN(auto keys, store_->ScanReadModel(prefix, after, size));
  Page<bdtx::v1::Document> page;
  for (const auto& [key, value] : keys) {
    auto doc = GetSummary("documents/" + key.substr(prefix.size()));
    if (doc.ok()) page.items.push_back(*std::move(doc));
  }
  if (static_cast<int>(keys.size()) == size) {
    page.next_page_token = EncodePageToken(keys.back().first);
  }
  return page;
}

absl::StatusOr<Page<bdtx::v1::Document>> ApprovalsStore::ListByUnit(
    const bdtx::v1::ListDocumentsRequest& request) const {
  if (request.unit().empty()) return absl::InvalidArgumentError("unit is required");
  std::string prefix = absl::StrCat("unit/", BareId(request.unit()), "/");
  if (request.state() != bdtx::v1::DOCUMENT_STATE_UNSPECIFIED) {
    absl::StrAppend(&prefix, absl::StrFormat("%02d/", static_cast<int>(request.state())));
  }
  ASSIGN_OR_RETURN(auto after, DecodePageToken(request.page_token(), prefix));
  const int size = kPageLimits.Clamp(request.page_size());
  Page<bdtx::v1::Document> page;
  std::string cursor = after;
  while (static_cast<int>(page.items.size()) < size) {
    ASSIGN_OR_RETURN(auto keys, store_->ScanReadModel(prefix, cursor, size));
    if (keys.empty()) return page;
    for (const auto& [key, value] : keys) {
      cursor = key;
      const std::string id = key.substr(key.rfind('/') + 1);
      auto parsed = ParseDocumentName("documents/" + id);
      if (!parsed.ok()) continue;
      if ((request.year() && parsed->year != request.year()) ||
          (request.module() && parsed->module != request.module())) {
        continue;
      }
      auto doc = GetSummary("documents/" + id);
      if (doc.ok()) page.items.push_back(*std::move(doc));
      if (static_cast<int>(page.items.size()) == size) break;
    }
  }
  page.next_page_token = EncodePageToken(cursor);
  return page;
}

absl::StatusOr<std::vector<std::string>> ApprovalsStore::CheckReadModels() const {
  // Fold all events, in global order, per document.
  std::map<std::string, Loaded> documents;
  int64_t position = 1;
  absl::Status bad;
  while (true) {
    auto n = store_->ScanAll(position, 10000, [&](const eventstore::EventEnvelope& e) {
      ApprovalEvent event;
      if (!e.payload().UnpackTo(&event)) return true;  // the stream holds only these
      auto [it, fresh] = documents.try_emplace(e.stream());
      if (fresh) {
        auto key = ParseDocumentName(e.stream());
        if (!key.ok()) {
          bad = key.status();
          return false;
        }
        it->second.document.key = *key;
      }
      if (absl::Status s = Fold(e, it->second); !s.ok()) {
        bad = s;
        return false;
      }
      return true;
    });
    if (!n.ok()) return n.status();
    if (!bad.ok()) return bad;
    if (*n == 0) break;
    position += *n;
  }
  std::vector<std::string> mismatches;
  std::set<std::string> expected_index;
  for (const auto& [name, loaded] : documents) {
    bdtx::v1::Document want = Summarize(loaded);
    auto have = GetSummary(name);
    if (!have.ok()) {
      mismatches.push_back(absl::StrCat(name, ": no summary (", have.status().message(), ")"));
    } else {
      have->clear_deadline();  // configuration, not derived from events
      if (have->SerializeAsString() != want.SerializeAsString()) {
        mismatches.push_back(absl::StrCat(name, ": summary differs from its events"));
      }
    }
    for (const std::string& key : IndexKeys(loaded.document)) expected_index.insert(key);
  }
  std::set<std::string> stored_index;
  for (const char* prefix : {"inbox/", "unit/"}) {
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(auto page, store_->ScanReadModel(prefix, after, 1000));
      if (page.empty()) break;
      for (const auto& [key, value] : page) stored_index.insert(key);
      after = page.back().first;
    }
  }
  for (const std::string& key : expected_index) {
    if (!stored_index.count(key)) mismatches.push_back("missing index key " + key);
  }
  for (const std::string& key : stored_index) {
    if (!expected_index.count(key)) mismatches.push_back("stale index key " + key);
  }
  return mismatches;
}

absl::StatusOr<std::map<std::string, int64_t>> ApprovalsStore::CountByState(
    absl::string_view unit) const {
  const std::string prefix = absl::StrCat("unit/", BareId(unit), "/");
  std::map<std::string, int64_t> counts;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(auto keys, store_->ScanReadModel(prefix, after, 1000));
    if (keys.empty()) break;
    for (const auto& [key, value] : keys) {
      int state = 0;
      if (absl::SimpleAtoi(key.substr(prefix.size(), 2), &state)) {
        ++counts[bdtx::v1::DocumentState_Name(static_cast<DocumentState>(state))];
      }
    }
    after = keys.back().first;
  }
  return counts;
}

namespace {

// The unit just below the ministry in an ancestry listed from the author's unit up.
std::string ProvinceOf(const bdtx::v1::Routing& routing) {
  const auto& ancestry = routing.author_unit_ancestry();
  return ancestry.size() >= 2 ? ancestry[ancestry.size() - 2] : "";
}

}  // namespace

TallyKey TallyKeyOf(const bdtx::v1::Document& summary) {
  return {ProvinceOf(summary.routing()), summary.state(), summary.year(), summary.module(),
          summary.late()};
}

TallyKey TallyKeyOf(const Document& document) {
  return {ProvinceOf(document.routing), document.state, document.key.year, document.key.module,
          document.late};
}

absl::Status ApprovalsStore::LoadTally() {
  std::map<TallyKey, int64_t> tally;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(auto entries, store_->ScanReadModel("doc/", after, 1000));
    if (entries.empty()) break;
    for (const auto& [key, value] : entries) {
      bdtx::v1::Document summary;
      if (!summary.ParseFromString(value)) {
        return absl::DataLossError(absl::StrCat("summary ", key, " is corrupt"));
      }
      ++tally[TallyKeyOf(summary)];
    }
    after = entries.back().first;
  }
  absl::MutexLock lock(&tally_mu_);
  tally_ = std::move(tally);
  return absl::OkStatus();
}

std::map<TallyKey, int64_t> ApprovalsStore::Tally() const {
  absl::MutexLock lock(&tally_mu_);
  return tally_;
}

}  // namespace bdtx::approvals
