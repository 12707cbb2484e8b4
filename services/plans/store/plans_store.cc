#include "services/plans/store/plans_store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/utilities/checkpoint.h"

namespace bdtx::plans {
namespace {

namespace v1 = ::bdtx::v1;
using google::protobuf::util::TimeUtil;

constexpr char kAuthorPrefix[] = "author/";
constexpr char kUnitPrefix[] = "unit/";

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat(what, ": not found"));
  return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
}

}  // namespace

std::string StreamOf(const std::string& document_name) {
  absl::string_view id = document_name;
  absl::ConsumePrefix(&id, "documents/");
  return absl::StrCat("plans/", id);
}

// ------------------------------------------------------------ LoadedDocument

absl::StatusOr<v1::SupportDocument> LoadedDocument::At(int64_t version) const {
  if (versions.empty()) return absl::NotFoundError("the document has no content");
  const int64_t latest = static_cast<int64_t>(versions.size());
  if (version == 0) version = latest;
  if (version < 0 || version > latest) {
    return absl::NotFoundError(
        absl::StrCat("version ", version, " does not exist (versions 1 to ", latest, ")"));
  }
  v1::SupportDocument out = versions[version - 1];
  out.set_latest_version(latest);
  out.set_submitted_version(submitted_version);
  for (const v1::Attachment& a : attachments) *out.add_attachments() = a;
  return out;
}

int64_t LoadedDocument::ContentVersionAt(int64_t stream_version) const {
  if (stream_version < 1 || stream_version > static_cast<int64_t>(history.size())) {
    return static_cast<int64_t>(versions.size());
  }
  return history[stream_version - 1].version();
}

v1::SupportDocumentSummary LoadedDocument::Summary() const {
  v1::SupportDocumentSummary s;
  if (versions.empty()) return s;
  const v1::SupportDocument& latest = versions.back();
  const v1::DocumentContent& c = latest.content();
  s.set_name(c.name());
  s.set_author(c.author());
  s.set_author_name(c.header().author_name());
  s.set_kind(c.kind());
  s.set_year(c.year());
  s.set_module(c.module());
  s.set_version(latest.version());
  s.set_content_sha256(latest.content_sha256());
  *s.mutable_updated() = latest.updated();
  s.set_submitted_version(submitted_version);
  s.set_not_deployed(c.not_deployed());
  s.set_school_unit(c.header().school_unit());
  for (const std::string& u : author_unit_ancestry) s.add_author_unit_ancestry(u);
  return s;
}

// ------------------------------------------------------------ AttachmentBlobs

absl::StatusOr<std::unique_ptr<AttachmentBlobs>> AttachmentBlobs::Open(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  // Scans are kilobytes to megabytes: keep them out of the LSM tree (BlobDB).
  options.enable_blob_files = true;
  options.min_blob_size = 4096;
  options.blob_file_size = 256 << 20;
  options.enable_blob_garbage_collection = true;
  rocksdb::DB* db = nullptr;
  if (absl::Status s = FromRocks(rocksdb::DB::Open(options, path, &db),
                                 absl::StrCat("opening attachments at ", path));
      !s.ok()) {
    return s;
  }
  return std::unique_ptr<AttachmentBlobs>(new AttachmentBlobs(db));
}

AttachmentBlobs::~AttachmentBlobs() {
  if (db_ != nullptr) {
    db_->Close().PermitUncheckedError();
    delete db_;
  }
}

absl::Status AttachmentBlobs::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  if (absl::Status s = FromRocks(rocksdb::Checkpoint::Create(db_, &raw), "attachments checkpoint");
      !s.ok()) {
    return s;
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir), "writing the attachments checkpoint");
}

absl::Status AttachmentBlobs::Put(const std::string& sha256, absl::string_view bytes) {
  rocksdb::WriteOptions w;
  w.sync = true;
  return FromRocks(db_->Put(w, rocksdb::Slice(sha256.data(), sha256.size()),
                            rocksdb::Slice(bytes.data(), bytes.size())),
                   absl::StrCat("storing attachment ", sha256));
}

absl::StatusOr<std::string> AttachmentBlobs::Get(const std::string& sha256) {
  std::string out;
  if (absl::Status s = FromRocks(
          db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(sha256.data(), sha256.size()), &out),
          absl::StrCat("attachment ", sha256));
      !s.ok()) {
    return s;
  }
  return out;
}

// ------------------------------------------------------------ PlansStore

absl::Status PlansStore::Apply(const v1::EventEnvelope& envelope, LoadedDocument& doc) {
  v1::PlansEvent event;
  if (!envelope.payload().UnpackTo(&event)) {
    return absl::DataLossError(absl::StrCat("event ", envelope.version(), " of ", envelope.stream(),
                                            " is not a PlansEvent"));
  }
  doc.stream_version = envelope.version();
  if (!envelope.request_id().empty()) {
    // Stored as "{document}/{request_id}" (older events: the bare id).
    absl::string_view id = envelope.request_id();
    absl::ConsumePrefix(&id, absl::StrCat(envelope.stream(), "/"));
    doc.requests[std::string(id)] = {envelope.version(), envelope.request()};
  }
  v1::VersionEntry entry;
  *entry.mutable_time() = envelope.time();
  entry.set_actor(envelope.actor());
  switch (event.kind_case()) {
    case v1::PlansEvent::kCreated:
    case v1::PlansEvent::kEdited: {
      const v1::ContentSaved& saved = event.has_created() ? event.created() : event.edited();
      v1::SupportDocument version;
      *version.mutable_content() = saved.content();
      version.set_version(saved.version());
      version.set_content_sha256(saved.content_sha256());
      *version.mutable_updated() = envelope.time();
      version.set_updated_by(envelope.actor());
      doc.versions.push_back(std::move(version));
      if (event.has_created()) {
        doc.author_unit_ancestry.assign(saved.author_unit_ancestry().begin(),
                                        saved.author_unit_ancestry().end());
      }
      entry.set_version(saved.version());
      entry.set_content_sha256(saved.content_sha256());
      entry.set_action(event.has_created() ? "created" : "edited");
      for (const std::string& p : saved.paths()) entry.add_paths(p);
      break;
    }
    case v1::PlansEvent::kSubmitted:
      doc.submitted_version = event.submitted().version();
      doc.submitted_sha256 = event.submitted().content_sha256();
      entry.set_version(event.submitted().version());
      entry.set_content_sha256(event.submitted().content_sha256());
      entry.set_action("submitted");
      break;
    case v1::PlansEvent::kAttachmentAdded:
      doc.attachments.push_back(event.attachment_added().attachment());
      entry.set_version(static_cast<int64_t>(doc.versions.size()));
      entry.set_content_sha256(event.attachment_added().attachment().sha256());
      entry.set_action("attachment_added");
      break;
    default:
      return absl::DataLossError(absl::StrCat("event ", envelope.version(), " of ",
                                              envelope.stream(), " has no known kind"));
  }
  doc.history.push_back(std::move(entry));
  return absl::OkStatus();
}

absl::StatusOr<LoadedDocument> PlansStore::Load(const std::string& name) {
  LoadedDocument doc;
  const std::string stream = StreamOf(name);
  int64_t from = 1;
  while (true) {
    ASSIGN_OR_RETURN(auto events, events_->ReadStream(stream, from, 256));
    for (const v1::EventEnvelope& e : events) {
      RETURN_IF_ERROR(Apply(e, doc));
    }
    if (events.size() < 256) break;
    from += 256;
  }
  if (doc.stream_version == 0) {
    return absl::NotFoundError(absl::StrCat(name, " does not exist yet; create it first"));
  }
  return doc;
}

absl::StatusOr<eventstore::AppendResult> PlansStore::Append(
    const std::string& name, int64_t expected_stream_version, const v1::PlansEvent& event,
    const std::string& actor, absl::Time now, const std::string& request_id,
    const v1::RequestRecord& record, const v1::SupportDocumentSummary& after) {
  eventstore::AppendRequest req;
  req.stream = StreamOf(name);
  req.expected_version =
      expected_stream_version == 0 ? eventstore::kNoStream : expected_stream_version;
  if (!request_id.empty()) req.request_id = absl::StrCat(req.stream, "/", request_id);
  req.events.push_back(eventstore::MakeEvent(event, actor, now));
  if (!request_id.empty()) *req.events.back().mutable_request() = record;
  const std::string value = after.SerializeAsString();
  req.read_model_writes.push_back({absl::StrCat(kAuthorPrefix, after.author(), "/", name), value});
  for (const std::string& unit : after.author_unit_ancestry()) {
    req.read_model_writes.push_back({absl::StrCat(kUnitPrefix, unit, "/", name), value});
  }
  req.read_model_writes.push_back({absl::StrCat("doc/", name), value});
  return events_->Append(std::move(req));
}

absl::StatusOr<std::vector<v1::SupportDocumentSummary>> PlansStore::List(
    const std::string& prefix, const std::string& start_after, int limit) {
  ASSIGN_OR_RETURN(auto rows, events_->ScanReadModel(
                                  prefix, start_after.empty() ? "" : prefix + start_after, limit));
  std::vector<v1::SupportDocumentSummary> out;
  out.reserve(rows.size());
  for (const auto& [key, value] : rows) {
    v1::SupportDocumentSummary s;
    if (!s.ParseFromString(value)) return absl::DataLossError(absl::StrCat("index entry ", key));
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::vector<v1::SupportDocumentSummary>> PlansStore::ListByAuthor(
    const std::string& author, const std::string& start_after, int limit) {
  return List(absl::StrCat(kAuthorPrefix, author, "/"), start_after, limit);
}

absl::StatusOr<std::vector<v1::SupportDocumentSummary>> PlansStore::ListByUnit(
    const std::string& unit, const std::string& start_after, int limit) {
  return List(absl::StrCat(kUnitPrefix, unit, "/"), start_after, limit);
}

absl::StatusOr<std::optional<v1::SupportDocumentSummary>> PlansStore::Summary(
    const std::string& name) {
  ASSIGN_OR_RETURN(auto value, events_->GetReadModel(absl::StrCat("doc/", name)));
  if (!value.has_value()) return std::optional<v1::SupportDocumentSummary>();
  v1::SupportDocumentSummary s;
  if (!s.ParseFromString(*value)) return absl::DataLossError(absl::StrCat("index of ", name));
  return std::optional<v1::SupportDocumentSummary>(std::move(s));
}

bool PlansStore::Reserve(const std::string& name) {
  absl::MutexLock lock(&mu_);
  return busy_.insert(name).second;
}

void PlansStore::Release(const std::string& name) {
  absl::MutexLock lock(&mu_);
  busy_.erase(name);
}

}  // namespace bdtx::plans
