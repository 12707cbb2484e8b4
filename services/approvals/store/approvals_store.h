// Persistence of approval documents on the service's event store: one stream per
// document ("documents/{id}"), a hash chain over its events, and read models (document
// summaries, inboxes, per-unit indexes) written in the same atomic append.
// Key layout: docs/approvals.md.
#ifndef BDTX_SERVICES_APPROVALS_STORE_APPROVALS_STORE_H_
#define BDTX_SERVICES_APPROVALS_STORE_APPROVALS_STORE_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bdtx/v1/approvals.pb.h"
#include "common/eventstore/event_store.h"
#include "common/idempotency/idempotency.h"
#include "common/paging/page_token.h"
#include "services/approvals/domain/document.h"

namespace bdtx::approvals {

// A document as loaded from its stream.
struct Loaded {
  Document document;
  std::string head_hash;                // hash of the newest event; "" for a draft
  google::protobuf::Timestamp updated;  // time of the newest event
  // The request_id of every command applied, with the version it brought the document
  // to and what the id is bound to: a retried command is recognised from the document's
  // own events (no extra read).
  struct Request {
    std::string id;
    int64_t version = 0;
    bdtx::v1::RequestRecord record;
  };
  std::vector<Request> requests;
  // Filled by LoadWithEvents only (history, chain checks); commands do not need them.
  std::vector<eventstore::EventEnvelope> events;
};
// Loaded documents are shared, never changed: a command builds a new one.
using LoadedPtr = std::shared_ptr<const Loaded>;

// The hash of one stored event: SHA-256 over its stream, version, time, actor, payload
// type and payload bytes (which include prev_hash, so the hashes form a chain).
std::string EventHash(const eventstore::EventEnvelope& event);

// Documents counted by what the business gauges report (ApprovalsStore::Tally).
struct TallyKey {
  std::string province;  // the author's unit just below the ministry ("units/bp"); "" if none
  DocumentState state = bdtx::v1::DOCUMENT_STATE_UNSPECIFIED;
  int year = 0;
  int module = 0;
  bool late = false;
  auto operator<=>(const TallyKey&) const = default;
};
TallyKey TallyKeyOf(const bdtx::v1::Document& summary);
TallyKey TallyKeyOf(const Document& document);

// Thread-safe. Concurrent commands on one document: the append's expected version makes
// exactly one win; the others get ABORTED.
class ApprovalsStore {
 public:
  // `store` is not owned and must outlive this object. (Campaign deadlines are the
  // caller's: Commit and Replay take the one that applies.)
  explicit ApprovalsStore(eventstore::EventStore* store) : store_(store) {}

  // The document's current state, from a bounded in-memory cache of recently used
  // documents or from its stream. Coherent because this process is the store's only
  // writer and refreshes the cache from every successful commit.
  absl::StatusOr<LoadedPtr> Load(const DocumentKey& key) const;
  // Always from the stream, with every event (up to `up_to_version` when given).
  absl::StatusOr<Loaded> LoadWithEvents(const DocumentKey& key,
                                        int64_t up_to_version = INT64_MAX) const;

  // Appends `events` (prev_hash filled here) after `before`, with the read models of the
  // resulting document, as one atomic write, with `record` (what `request_id` is bound
  // to) on each event. Calls `done` with the document's new summary; ABORTED when the
  // same request_id raced another command on this document (the retry then replays or
  // is refused by Replay).
  void Commit(LoadedPtr before, std::vector<ApprovalEvent> events, const std::string& actor,
              absl::Time now, const std::string& request_id, const bdtx::v1::RequestRecord& record,
              absl::Time deadline,
              absl::AnyInvocable<void(absl::StatusOr<bdtx::v1::Document>) &&> done);

  absl::StatusOr<bdtx::v1::Document> GetSummary(absl::string_view document_name) const;

  // The answer given to `request_id` on this document, if that request was applied
  // (the document as that command left it): a retried command returns it without
  // deciding again. ALREADY_EXISTS REQUEST_ID_REUSED when the id was recorded for
  // anything other than `binding` (idempotency::CheckSame).
  absl::StatusOr<std::optional<bdtx::v1::Document>> Replay(const Loaded& loaded,
                                                           absl::string_view request_id,
                                                           const idempotency::Binding& binding,
                                                           absl::Time deadline) const;
  absl::StatusOr<std::vector<bdtx::v1::HistoryEntry>> History(const DocumentKey& key) const;
  absl::StatusOr<bdtx::v1::VerifyChainResponse> VerifyChain(const DocumentKey& key) const;

  // Documents waiting for `person` (by name) or for signers of `unit` holding a signing
  // role in `roles`.
  absl::StatusOr<Page<bdtx::v1::Document>> Inbox(const std::string& person, const std::string& unit,
                                                 const std::vector<bdtx::v1::Role>& roles,
                                                 int page_size, absl::string_view page_token) const;
  absl::StatusOr<Page<bdtx::v1::Document>> ListByUnit(
      const bdtx::v1::ListDocumentsRequest& request) const;
  absl::StatusOr<std::map<std::string, int64_t>> CountByState(absl::string_view unit) const;

  // Rebuilds every document from its events and compares with the read models
  // (summaries, inbox and unit index keys). Returns one line per mismatch; empty means
  // the read models are exactly what the events imply.
  absl::StatusOr<std::vector<std::string>> CheckReadModels() const;

  eventstore::EventStore* events() const { return store_; }

  // Counts every stored document (one scan of the summaries) so Tally can answer without
  // scanning: commits keep the counts from then on. Call once before serving.
  absl::Status LoadTally();
  // Number of documents per key (submitted at least once). Thread-safe, O(keys).
  std::map<TallyKey, int64_t> Tally() const;

 private:
  void Remember(LoadedPtr loaded, bool overwrite) const;
  void Forget(const std::string& name) const;

  eventstore::EventStore* const store_;
  // Two generations: when the newer one is full it becomes the older one and the old
  // older one is dropped, so recently used documents stay and memory stays bounded.
  static constexpr size_t kCacheGeneration = 50'000;
  using Cache = absl::flat_hash_map<std::string, LoadedPtr>;
  mutable absl::Mutex cache_mu_;
  mutable Cache newer_ ABSL_GUARDED_BY(cache_mu_);
  mutable Cache older_ ABSL_GUARDED_BY(cache_mu_);
  mutable absl::Mutex tally_mu_;
  std::map<TallyKey, int64_t> tally_ ABSL_GUARDED_BY(tally_mu_);
};

// The summary proto of a document; with the campaign deadline unless it is infinite.
bdtx::v1::Document Summarize(const Loaded& loaded, absl::Time deadline = absl::InfiniteFuture());

}  // namespace bdtx::approvals

#endif  // BDTX_SERVICES_APPROVALS_STORE_APPROVALS_STORE_H_
