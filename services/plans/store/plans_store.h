// Storage of plans and reports: one event stream per document ("plans/{id}"), whose
// content events hold the whole content of their version, and an index read model
// (by author and by every unit above the author) written in the same atomic commit.
// Attachments live in a separate RocksDB with blob files (AttachmentBlobs).
#ifndef BDTX_SERVICES_PLANS_STORE_PLANS_STORE_H_
#define BDTX_SERVICES_PLANS_STORE_PLANS_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bdtx/v1/plans.pb.h"
#include "common/eventstore/event_store.h"

namespace rocksdb {
class DB;
}  // namespace rocksdb

namespace bdtx::plans {

// Everything the events of one document say.
struct LoadedDocument {
  int64_t stream_version = 0;
  std::vector<v1::SupportDocument> versions;  // versions[i] is content version i + 1
  std::vector<v1::VersionEntry> history;      // one entry per event
  std::vector<std::string> author_unit_ancestry;
  int64_t submitted_version = 0;
  std::string submitted_sha256;
  std::vector<v1::Attachment> attachments;
  // request_id -> the stream version its event got and what the id is bound to, with
  // the first answer (a retry answers exactly that).
  struct Request {
    int64_t version = 0;
    v1::RequestRecord record;
  };
  absl::flat_hash_map<std::string, Request> requests;

  // Content version `version` (0: the latest) with the document-wide facts filled in;
  // NOT_FOUND for a version that does not exist.
  absl::StatusOr<v1::SupportDocument> At(int64_t version) const;
  // The content version the event at `stream_version` produced or submitted (for
  // answering a retried request the same way as the first time).
  int64_t ContentVersionAt(int64_t stream_version) const;
  v1::SupportDocumentSummary Summary() const;
};

// Content-addressed attachment bytes (key: sha256) in their own RocksDB, large values in
// blob files so the LSM tree stays small. Every write is WAL-synced.
class AttachmentBlobs {
 public:
  static absl::StatusOr<std::unique_ptr<AttachmentBlobs>> Open(const std::string& path);
  ~AttachmentBlobs();
  absl::Status Put(const std::string& sha256, absl::string_view bytes);
  absl::StatusOr<std::string> Get(const std::string& sha256);
  // A consistent copy (RocksDB checkpoint, blob files included) in the new directory
  // `dir`, for backups. Thread-safe.
  absl::Status Checkpoint(const std::string& dir);

 private:
  explicit AttachmentBlobs(rocksdb::DB* db) : db_(db) {}
  rocksdb::DB* db_;
};

class PlansStore {
 public:
  explicit PlansStore(eventstore::EventStore* events) : events_(events) {}

  // NOT_FOUND when the document was never created.
  absl::StatusOr<LoadedDocument> Load(const std::string& name);

  // Appends `event` to the document's stream at `expected_stream_version` and rewrites
  // its index entries from `after` (the document once the event is applied), with
  // `record` (what `request_id` is bound to, and the answer) on the event. ABORTED
  // when another change won. Request ids are scoped to the document.
  absl::StatusOr<eventstore::AppendResult> Append(
      const std::string& name, int64_t expected_stream_version, const v1::PlansEvent& event,
      const std::string& actor, absl::Time now, const std::string& request_id,
      const v1::RequestRecord& record, const v1::SupportDocumentSummary& after);

  // Summaries under "author/{author}/" or "unit/{unit}/", after `start_after` (a document
  // name), at most `limit`.
  absl::StatusOr<std::vector<v1::SupportDocumentSummary>> ListByAuthor(
      const std::string& author, const std::string& start_after, int limit);
  absl::StatusOr<std::vector<v1::SupportDocumentSummary>> ListByUnit(const std::string& unit,
                                                                     const std::string& start_after,
                                                                     int limit);
  absl::StatusOr<std::optional<v1::SupportDocumentSummary>> Summary(const std::string& name);

  // One command at a time per document inside this process: false when another holds it.
  bool Reserve(const std::string& name);
  void Release(const std::string& name);

  // Folds events into a document (exposed for tests).
  static absl::Status Apply(const v1::EventEnvelope& envelope, LoadedDocument& doc);

 private:
  absl::StatusOr<std::vector<v1::SupportDocumentSummary>> List(const std::string& prefix,
                                                               const std::string& start_after,
                                                               int limit);
  eventstore::EventStore* const events_;
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> busy_ ABSL_GUARDED_BY(mu_);
};

// "plans/{id}" for "documents/{id}".
std::string StreamOf(const std::string& document_name);

}  // namespace bdtx::plans

#endif  // BDTX_SERVICES_PLANS_STORE_PLANS_STORE_H_
