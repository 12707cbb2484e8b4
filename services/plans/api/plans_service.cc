#include "services/plans/api/plans_service.h"

#include <atomic>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/auth/receipt.h"
#include "common/crypto/sha256.h"
#include "common/idempotency/idempotency.h"
#include "common/server/logging.h"
#include "common/server/unary.h"
#include "common/status/error_info.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/validation/validator.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"

namespace bdtx::plans {
namespace {

namespace v1 = ::bdtx::v1;
using google::protobuf::util::TimeUtil;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
constexpr int kScanBatch = 500;
constexpr int kMaxScanned = 200'000;
constexpr size_t kChunkBytes = 256 << 10;

absl::CivilDay TodayInVietnam(absl::Time now) {
  static const absl::TimeZone kVietnam = absl::FixedTimeZone(7 * 3600);  // no DST
  return absl::ToCivilDay(now, kVietnam);
}

absl::StatusOr<DocumentKey> KeyOf(const std::string& author, v1::DocumentKind kind, int year,
                                  int module) {
  if (!absl::StartsWith(author, "people/") || author.size() == 7) {
    return absl::InvalidArgumentError(
        absl::StrCat("author '", author, "' must look like people/{id}"));
  }
  if (year < 2000 || year > 2100) {
    return absl::InvalidArgumentError(absl::StrCat("year must be 2000..2100, got ", year));
  }
  if (module < 1 || module > 9) {
    return absl::InvalidArgumentError(absl::StrCat("module must be 1..9, got ", module));
  }
  return DocumentKey{author, kind, year, module};
}

// The caller's bearer token, forwarded when plans acts for them (Submit at approvals).
std::string CallerToken(const grpc::CallbackServerContext& context) {
  const auto& md = context.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) return "";
  absl::string_view value(it->second.data(), it->second.size());
  absl::ConsumePrefix(&value, "Bearer ");
  return std::string(value);
}

// One command at a time per document in this process.
class Reservation {
 public:
  Reservation(PlansStore* store, std::string name) : store_(store), name_(std::move(name)) {
    held_ = store_->Reserve(name_);
  }
  ~Reservation() {
    if (held_) store_->Release(name_);
  }
  absl::Status status() const {
    if (held_) return absl::OkStatus();
    return absl::AbortedError(
        absl::StrCat("another change to ", name_, " is in progress; retry in a moment"));
  }

 private:
  PlansStore* store_;
  std::string name_;
  bool held_ = false;
};

bool Editable(v1::DocumentState s) { return s == v1::DRAFT || s == v1::RETURNED; }

const char* SignerTitle(v1::SignOffAuthority::Kind kind) {
  switch (kind) {
    case v1::SignOffAuthority::PRINCIPAL:
      return "HIỆU TRƯỞNG";
    case v1::SignOffAuthority::OFFICE_LEADER:
      return "LÃNH ĐẠO PHÒNG/SỞ GDĐT";
    case v1::SignOffAuthority::DISTRICT_OFFICE:
      return "ĐẠI DIỆN PHÒNG GDĐT";
    case v1::SignOffAuthority::PROVINCE_DEPARTMENT:
      return "ĐẠI DIỆN SỞ GDĐT";
    default:
      return "";
  }
}

absl::Status CheckExpected(const LoadedDocument& doc, int64_t expected) {
  const int64_t latest = static_cast<int64_t>(doc.versions.size());
  if (expected == 0 || expected == latest) return absl::OkStatus();
  return WithErrorInfo(absl::AbortedError(absl::StrCat(
                           doc.versions.back().content().name(), " is at version ", latest,
                           ", not ", expected, "; reload it and apply your change again")),
                       "VERSION_MISMATCH", {{"latest_version", absl::StrCat(latest)}});
}

}  // namespace

// ------------------------------------------------------------ plumbing

// The caller's subject is resolved on the gRPC thread (cheap, and refuses early).
template <typename Work>
grpc::ServerUnaryReactor* PlansService::OnWorker(grpc::CallbackServerContext* context, Work work) {
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(context->DefaultReactor(), subject.status());
  return server::OnWorker(
      context, workers_, "plans",
      [work = std::move(work), subject = *std::move(subject)]() mutable { return work(subject); });
}

absl::StatusOr<v1::Document> PlansService::ApprovalOf(const std::string& name) {
  ASSIGN_OR_RETURN(auto token, peers_.token->Get());
  v1::GetDocumentRequest req;
  req.set_name(name);
  v1::Document out;
  absl::Status s = clients::InvokeWithToken(
      peers_.approvals, &v1::Approvals::StubInterface::GetDocument, token, "approvals", req, &out);
  if (absl::IsNotFound(s)) {
    out.Clear();
    out.set_name(name);
    out.set_state(v1::DRAFT);
    return out;
  }
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::SupportCountsResponse> PlansService::CountsOf(const DocumentKey& key) {
  ASSIGN_OR_RETURN(auto token, peers_.token->Get());
  v1::SupportCountsRequest req;
  req.set_core_member(key.author);
  req.set_year(key.year);
  req.set_module(key.module);
  v1::SupportCountsResponse out;
  if (absl::Status s =
          clients::InvokeWithToken(peers_.grading, &v1::Grading::StubInterface::GetSupportCounts,
                                   token, "grading", req, &out);
      !s.ok()) {
    return s;
  }
  return out;
}

absl::Status PlansService::AddSupportCounts(const DocumentKey& key, v1::DocumentContent& report) {
  if (peers_.support == nullptr || report.not_deployed()) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto token, peers_.token->Get());
  v1::GetSupportReportCountsRequest req;
  req.set_core_member(key.author);
  req.set_year(key.year);
  req.set_module(key.module);
  v1::SupportReportCounts out;
  if (absl::Status s = clients::InvokeWithToken(peers_.support,
                                                &v1::Support::StubInterface::GetSupportReportCounts,
                                                token, "support", req, &out);
      !s.ok()) {
    return s;
  }
  ApplySupportCounts(out, report);
  return absl::OkStatus();
}

absl::Status PlansService::MayRead(const auth::Subject& subject, const LoadedDocument& doc,
                                   const v1::Document& approval) {
  const std::string& author = doc.versions.front().content().author();
  if (subject.name == author || subject.IsService() || subject.HasRole(v1::SYSTEM_ADMIN) ||
      subject.HasRole(v1::MINISTRY_OFFICER)) {
    return absl::OkStatus();
  }
  // The routed lecturer and signers read while they hold the role now, as approvals
  // decides (ADR 012): a name recorded at submission alone does not let a demoted or
  // moved person go on reading.
  const v1::Routing& routing = approval.routing();
  if (!routing.lecturer().empty() && routing.lecturer() == subject.name &&
      (subject.HasRole(v1::PEDAGOGY_LECTURER) || subject.HasRole(v1::MANAGEMENT_LECTURER))) {
    return absl::OkStatus();
  }
  const auto& signers = routing.sign_off();
  if (std::find(signers.people().begin(), signers.people().end(), subject.name) !=
      signers.people().end()) {
    if (signers.roles().empty()) return absl::OkStatus();  // older routings trust names
    if (!subject.unit.empty() && subject.unit == signers.unit()) {
      for (int role : signers.roles()) {
        if (subject.HasRole(static_cast<v1::Role>(role))) return absl::OkStatus();
      }
    }
  }
  // Authorize's message names the author's unit: answer as for a document that does not
  // exist, so a stranger learns neither.
  if (!auth::Authorize(subject, auth::Action::kRead, {doc.author_unit_ancestry, author}).ok()) {
    return auth::NotVisible(subject, doc.versions.front().content().name());
  }
  return absl::OkStatus();
}

absl::Status PlansService::MayReadPerson(const auth::Subject& subject, const std::string& person) {
  if (subject.name == person || subject.IsService() || subject.HasRole(v1::SYSTEM_ADMIN) ||
      subject.HasRole(v1::MINISTRY_OFFICER)) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(auto p, peers_.directory->GetPerson(person));
  ASSIGN_OR_RETURN(auto ancestry, peers_.directory->Ancestry(p.home_unit()));
  return auth::Authorize(subject, auth::Action::kRead, {ancestry, person});
}

absl::StatusOr<std::pair<LoadedDocument, v1::Document>> PlansService::LoadReadable(
    const auth::Subject& subject, const std::string& name) {
  ASSIGN_OR_RETURN(auto key, ParseDocumentName(name));
  auto doc = store_->Load(name);
  if (absl::IsNotFound(doc.status()) && !auth::MayLearnAbsence(subject, key.author)) {
    return auth::NotVisible(subject, name);
  }
  if (!doc.ok()) return doc.status();
  ASSIGN_OR_RETURN(auto approval, ApprovalOf(name));
  if (absl::Status s = MayRead(subject, *doc, approval); !s.ok()) {
    return auth::NotVisible(subject, name);
  }
  return std::make_pair(*std::move(doc), std::move(approval));
}

absl::StatusOr<AuthorFacts> PlansService::FactsOf(const DocumentKey& key) {
  AuthorFacts facts;
  ASSIGN_OR_RETURN(auto person, peers_.directory->GetPerson(key.author));
  facts.person = std::move(person);
  bool core = false;
  for (int r : facts.person.roles()) core = core || r == v1::CORE_TEACHER || r == v1::CORE_MANAGER;
  if (!core) {
    return WithErrorInfo(absl::FailedPreconditionError(absl::StrCat(
                             "plans and reports are filed by core teachers and core managers; ",
                             key.author, " is neither in the directory")),
                         "NOT_A_CORE_MEMBER");
  }
  ASSIGN_OR_RETURN(auto unit, peers_.directory->GetUnit(facts.person.home_unit()));
  facts.school_name = unit.display_name();
  ASSIGN_OR_RETURN(facts.unit_ancestry, peers_.directory->Ancestry(facts.person.home_unit()));
  auto group = peers_.directory->GetSupportGroup(key.author, key.year, key.module);
  if (absl::IsNotFound(group.status()) || (group.ok() && group->colleagues_size() == 0)) {
    return WithErrorInfo(
        absl::FailedPreconditionError(absl::StrCat(
            "the Sở has not assigned colleagues to ", key.author, " for module ", key.module,
            " of ", key.year, " (directory assignments); the plan's N comes from that list")),
        "NO_SUPPORT_GROUP");
  }
  if (!group.ok()) return group.status();
  facts.assigned = group->colleagues_size();
  if (!group->lecturer().empty()) {
    if (auto lecturer = peers_.directory->GetPerson(group->lecturer()); lecturer.ok()) {
      facts.lecturer_name = lecturer->display_name();
    }
  }
  if (unit.kind() == v1::SCHOOL) {
    ASSIGN_OR_RETURN(auto principals, peers_.directory->PeopleWithRole(unit.name(), v1::PRINCIPAL));
    if (!principals.empty()) facts.principal_name = principals.front().display_name();
  }
  return facts;
}

absl::StatusOr<v1::SupportDocument> PlansService::Commit(
    const std::string& name, const LoadedDocument& before, const v1::PlansEvent& event,
    const std::string& actor, const std::string& request_id, v1::RequestRecord record,
    v1::DocumentState approval_state, const std::string& approved_sha256) {
  const absl::Time now = clock_->Now();
  LoadedDocument after = before;
  v1::EventEnvelope envelope = eventstore::MakeEvent(event, actor, now);
  envelope.set_version(before.stream_version + 1);
  envelope.set_request_id(request_id);
  RETURN_IF_ERROR(PlansStore::Apply(envelope, after));
  ASSIGN_OR_RETURN(v1::SupportDocument out,
                   after.At(after.ContentVersionAt(before.stream_version + 1)));
  out.set_approval_state(approval_state);
  if (!approved_sha256.empty()) out.set_approved_content_sha256(approved_sha256);
  // The complete answer is stored with the event: a retry gets exactly it.
  if (record.response().empty()) record.set_response(out.SerializeAsString());
  ASSIGN_OR_RETURN(eventstore::AppendResult result,
                   store_->Append(name, before.stream_version, event, actor, now, request_id,
                                  record, after.Summary()));
  if (result.replayed) {
    // The same request_id raced another command on this document and that one won:
    // the retry replays it or is refused by the binding check, never answered unchecked.
    return absl::AbortedError(
        "a concurrent call with the same request_id was applied first; retry");
  }
  return out;
}

absl::StatusOr<v1::SupportDocument> PlansService::SaveVersion(
    const std::string& name, const LoadedDocument& doc, v1::DocumentContent next,
    std::vector<std::string> paths, const auth::Subject& subject, const std::string& request_id,
    const v1::RequestRecord& record, v1::DocumentState approval_state) {
  const v1::SupportDocument& latest = doc.versions.back();
  const std::string sha = ContentSha256(next);
  if (sha == latest.content_sha256()) {  // nothing changed: no new version, nothing recorded
    ASSIGN_OR_RETURN(v1::SupportDocument out, doc.At(0));
    out.set_approval_state(approval_state);
    return out;
  }
  v1::PlansEvent event;
  v1::ContentSaved* saved = event.mutable_edited();
  *saved->mutable_content() = std::move(next);
  saved->set_content_sha256(sha);
  saved->set_version(latest.version() + 1);
  for (std::string& p : paths) saved->add_paths(std::move(p));
  return Commit(name, doc, event, subject.name, request_id, record, approval_state);
}

namespace {

// When `request_id` was recorded on `doc`: OK and true after putting the first answer in
// `response` if the record is `binding`'s, REQUEST_ID_REUSED otherwise; false when new.
absl::StatusOr<bool> Replayed(const LoadedDocument& doc, const std::string& request_id,
                              const idempotency::Binding& binding,
                              google::protobuf::Message* response) {
  if (request_id.empty()) return false;
  auto it = doc.requests.find(request_id);
  if (it == doc.requests.end()) return false;
  RETURN_IF_ERROR(idempotency::CheckSame(binding, it->second.record));
  if (!response->ParseFromString(it->second.record.response())) {
    return absl::DataLossError(
        absl::StrCat("the stored answer to request_id ", request_id, " cannot be read"));
  }
  return true;
}

absl::Status OnlyTheAuthor(const auth::Subject& subject, const std::string& author,
                           absl::string_view what) {
  if (subject.name == author) return absl::OkStatus();
  return WithErrorInfo(
      absl::PermissionDeniedError(
          absl::StrCat("only the author (", author, ") may ", what, "; you are ", subject.name)),
      "NOT_THE_AUTHOR");
}

}  // namespace

absl::StatusOr<v1::SupportDocument> PlansService::Create(
    const auth::Subject& subject, const char* method, const google::protobuf::Message& request,
    const DocumentKey& key, v1::DocumentContent content, std::vector<std::string> ancestry,
    const std::string& request_id) {
  const idempotency::Binding binding = idempotency::Bind(subject.name, method, key.Name(), request);
  Reservation reservation(store_, key.Name());
  RETURN_IF_ERROR(reservation.status());
  absl::StatusOr<LoadedDocument> existing = store_->Load(key.Name());
  if (existing.ok()) {
    v1::SupportDocument first;
    ASSIGN_OR_RETURN(bool replayed, Replayed(*existing, request_id, binding, &first));
    if (replayed) return first;
    const int64_t version = static_cast<int64_t>(existing->versions.size());
    return WithErrorInfo(
        absl::AlreadyExistsError(absl::StrCat(key.Name(), " already exists (version ", version,
                                              "); change it with UpdateDocument")),
        "ALREADY_EXISTS", {{"latest_version", absl::StrCat(version)}});
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();
  v1::PlansEvent event;
  v1::ContentSaved* saved = event.mutable_created();
  saved->set_content_sha256(ContentSha256(content));
  *saved->mutable_content() = std::move(content);
  saved->set_version(1);
  for (std::string& u : ancestry) saved->add_author_unit_ancestry(std::move(u));
  auto out = Commit(key.Name(), LoadedDocument{}, event, subject.name, request_id,
                    idempotency::Record(binding), v1::DRAFT);
  if (absl::IsAborted(out.status())) {
    return absl::AlreadyExistsError(
        absl::StrCat(key.Name(), " was created by a concurrent call; get it and update it"));
  }
  return out;
}

absl::Status PlansService::Mutate(
    const auth::Subject& subject, const char* method, const google::protobuf::Message& request,
    const std::string& name, const std::string& request_id, int64_t expected_version,
    absl::string_view what, v1::SupportDocument* response,
    absl::FunctionRef<absl::StatusOr<v1::SupportDocument>(const Opened&)> body) {
  ASSIGN_OR_RETURN(DocumentKey key, ParseDocumentName(name));
  // Authorized before anything about a request_id is looked up or answered.
  RETURN_IF_ERROR(OnlyTheAuthor(subject, key.author, what));
  Reservation reservation(store_, name);
  RETURN_IF_ERROR(reservation.status());
  ASSIGN_OR_RETURN(LoadedDocument doc, store_->Load(name));
  const idempotency::Binding binding = idempotency::Bind(subject.name, method, name, request);
  ASSIGN_OR_RETURN(bool replayed, Replayed(doc, request_id, binding, response));
  if (replayed) return absl::OkStatus();
  RETURN_IF_ERROR(CheckExpected(doc, expected_version));
  const v1::RequestRecord record = idempotency::Record(binding);
  ASSIGN_OR_RETURN(*response, body(Opened{key, doc, record}));
  return absl::OkStatus();
}

// ------------------------------------------------------------ handlers

grpc::ServerUnaryReactor* PlansService::CreatePlan(grpc::CallbackServerContext* context,
                                                   const v1::CreatePlanRequest* request,
                                                   v1::SupportDocument* response) {
  return OnWorker(context, [this, request, response](const auth::Subject& subject) -> absl::Status {
    ASSIGN_OR_RETURN(auto key,
                     KeyOf(request->author(), v1::PLAN, request->year(), request->module()));
    if (absl::Status s = OnlyTheAuthor(subject, key.author, "create their plan"); !s.ok()) return s;
    ASSIGN_OR_RETURN(auto facts, FactsOf(key));
    v1::DocumentContent content = NewPlan(key, facts, TodayInVietnam(clock_->Now()));
    ASSIGN_OR_RETURN(auto out,
                     Create(subject, "/bdtx.v1.Plans/CreatePlan", *request, key, std::move(content),
                            facts.unit_ancestry, request->request_id()));
    *response = std::move(out);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PlansService::CreateReport(grpc::CallbackServerContext* context,
                                                     const v1::CreateReportRequest* request,
                                                     v1::SupportDocument* response) {
  return OnWorker(context, [this, request, response](const auth::Subject& subject) -> absl::Status {
    ASSIGN_OR_RETURN(auto key,
                     KeyOf(request->author(), v1::REPORT, request->year(), request->module()));
    if (absl::Status s = OnlyTheAuthor(subject, key.author, "create their report"); !s.ok()) {
      return s;
    }
    DocumentKey plan_key = key;
    plan_key.kind = v1::PLAN;
    auto plan = store_->Load(plan_key.Name());
    if (absl::IsNotFound(plan.status())) {
      return WithErrorInfo(absl::FailedPreconditionError(
                               absl::StrCat("Hãy lập kế hoạch ", plan_key.Name(),
                                            " trước: báo cáo được lập từ các mục của kế hoạch")),
                           "NO_PLAN");
    }
    if (!plan.ok()) return plan.status();
    // The version approvals has (when submitted) is the plan being reported on.
    ASSIGN_OR_RETURN(auto base, plan->At(plan->submitted_version));
    absl::CivilDay report_date = TodayInVietnam(clock_->Now());
    if (request->has_report_date()) {
      v1::DocumentContent probe;
      probe.set_kind(v1::REPORT);
      probe.set_year(key.year);
      *probe.mutable_report_date() = request->report_date();
      RETURN_IF_ERROR(Validate(probe, false));
      report_date = ToDay(request->report_date());
    }
    v1::SupportCountsResponse counts;
    if (!request->not_deployed()) {
      ASSIGN_OR_RETURN(counts, CountsOf(key));
    }
    v1::DocumentContent content =
        NewReport(key, base.content(), counts, request->not_deployed(), report_date);
    RETURN_IF_ERROR(AddSupportCounts(key, content));
    ASSIGN_OR_RETURN(
        auto out, Create(subject, "/bdtx.v1.Plans/CreateReport", *request, key, std::move(content),
                         plan->author_unit_ancestry, request->request_id()));
    *response = std::move(out);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PlansService::GetDocument(grpc::CallbackServerContext* context,
                                                    const v1::GetSupportDocumentRequest* request,
                                                    v1::SupportDocument* response) {
  return OnWorker(context, [this, request, response](const auth::Subject& subject) -> absl::Status {
    ASSIGN_OR_RETURN(auto readable, LoadReadable(subject, request->name()));
    const LoadedDocument& doc = readable.first;
    const v1::Document& approval = readable.second;
    ASSIGN_OR_RETURN(auto out, doc.At(request->version()));
    out.set_approval_state(approval.state());
    out.set_approved_content_sha256(approval.content_sha256());
    *response = std::move(out);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PlansService::UpdateDocument(
    grpc::CallbackServerContext* context, const v1::UpdateSupportDocumentRequest* request,
    v1::SupportDocument* response) {
  return OnWorker(context, [this, request, response](const auth::Subject& subject) {
    const std::string& name = request->content().name();
    return Mutate(
        subject, "/bdtx.v1.Plans/UpdateDocument", *request, name, request->request_id(),
        request->expected_version(), "edit it", response,
        [&](const Opened& at) -> absl::StatusOr<v1::SupportDocument> {
          ASSIGN_OR_RETURN(v1::Document approval, ApprovalOf(name));
          if (!Editable(approval.state())) {
            return WithErrorInfo(
                absl::FailedPreconditionError(absl::StrCat(
                    name, " is ", v1::DocumentState_Name(approval.state()),
                    " at approvals: a submitted version never changes; edits are possible "
                    "only while it is DRAFT or RETURNED")),
                "NOT_EDITABLE", {{"state", v1::DocumentState_Name(approval.state())}});
          }
          const v1::SupportDocument& latest = at.doc.versions.back();
          ASSIGN_OR_RETURN(v1::DocumentContent next,
                           ApplyEdit(latest.content(), request->content(), request->update_mask()));
          bool needs_counts = false;
          for (const v1::Row& row : next.rows()) {
            needs_counts = needs_counts || row.result().source() == v1::NOT_DEPLOYED;
          }
          if (next.kind() == v1::REPORT && !next.not_deployed() && needs_counts) {
            ASSIGN_OR_RETURN(v1::SupportCountsResponse counts, CountsOf(at.key));
            ApplyCounts(counts, next);
            RETURN_IF_ERROR(AddSupportCounts(at.key, next));
            RETURN_IF_ERROR(Validate(next, false));
          }
          return SaveVersion(
              name, at.doc, std::move(next),
              {request->update_mask().paths().begin(), request->update_mask().paths().end()},
              subject, request->request_id(), at.record, approval.state());
        });
  });
}

grpc::ServerUnaryReactor* PlansService::RefreshReportCounts(
    grpc::CallbackServerContext* context, const v1::RefreshReportCountsRequest* request,
    v1::SupportDocument* response) {
  return OnWorker(context, [this, request, response](const auth::Subject& subject) {
    const std::string& name = request->name();
    return Mutate(subject, "/bdtx.v1.Plans/RefreshReportCounts", *request, name,
                  request->request_id(), request->expected_version(), "refresh its counts",
                  response, [&](const Opened& at) -> absl::StatusOr<v1::SupportDocument> {
                    if (at.key.kind != v1::REPORT) {
                      return absl::InvalidArgumentError(
                          absl::StrCat(name, " is a plan; only reports have counts"));
                    }
                    const v1::SupportDocument& latest = at.doc.versions.back();
                    if (latest.content().not_deployed()) {
                      return absl::FailedPreconditionError(absl::StrCat(
                          name,
                          " is marked not deployed (Chưa triển khai); clear not_deployed "
                          "with UpdateDocument to report counts"));
                    }
                    ASSIGN_OR_RETURN(v1::Document approval, ApprovalOf(name));
                    if (!Editable(approval.state())) {
                      return WithErrorInfo(
                          absl::FailedPreconditionError(
                              absl::StrCat(name, " is ", v1::DocumentState_Name(approval.state()),
                                           " at approvals: its submitted counts never change")),
                          "NOT_EDITABLE", {{"state", v1::DocumentState_Name(approval.state())}});
                    }
                    ASSIGN_OR_RETURN(v1::SupportCountsResponse counts, CountsOf(at.key));
                    v1::DocumentContent next = latest.content();
                    ApplyCounts(counts, next);
                    RETURN_IF_ERROR(AddSupportCounts(at.key, next));
                    RETURN_IF_ERROR(Validate(next, false));
                    return SaveVersion(name, at.doc, std::move(next), {"rows.result"}, subject,
                                       request->request_id(), at.record, approval.state());
                  });
  });
}

grpc::ServerUnaryReactor* PlansService::SubmitDocument(
    grpc::CallbackServerContext* context, const v1::SubmitSupportDocumentRequest* request,
    v1::SupportDocument* response) {
  return OnWorker(context, [this, context, request, response](const auth::Subject& subject) {
    const std::string& name = request->name();
    return Mutate(subject, "/bdtx.v1.Plans/SubmitDocument", *request, name, request->request_id(),
                  request->expected_version(), "submit it", response,
                  [&](const Opened& at) -> absl::StatusOr<v1::SupportDocument> {
                    const v1::SupportDocument& latest = at.doc.versions.back();
                    RETURN_IF_ERROR(Validate(latest.content(), /*for_submission=*/true));
                    // As the author: approvals checks who submits and records the content hash.
                    v1::SubmitRequest submit;
                    submit.set_document(name);
                    submit.set_content_sha256(latest.content_sha256());
                    submit.set_not_deployed(latest.content().not_deployed());
                    submit.set_request_id(request->request_id());
                    v1::Document approval;
                    RETURN_IF_ERROR(clients::InvokeWithToken(
                        peers_.approvals, &v1::Approvals::StubInterface::Submit,
                        CallerToken(*context), "approvals", submit, &approval));
                    v1::PlansEvent event;
                    event.mutable_submitted()->set_version(latest.version());
                    event.mutable_submitted()->set_content_sha256(latest.content_sha256());
                    event.mutable_submitted()->set_approvals_version(approval.version());
                    return Commit(name, at.doc, event, subject.name, request->request_id(),
                                  at.record, approval.state(), approval.content_sha256());
                  });
  });
}

grpc::ServerUnaryReactor* PlansService::ListVersions(grpc::CallbackServerContext* context,
                                                     const v1::ListVersionsRequest* request,
                                                     v1::ListVersionsResponse* response) {
  return OnWorker(context, [this, request, response](const auth::Subject& subject) -> absl::Status {
    ASSIGN_OR_RETURN(auto readable, LoadReadable(subject, request->name()));
    for (const v1::VersionEntry& e : readable.first.history) *response->add_entries() = e;
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PlansService::ListDocuments(
    grpc::CallbackServerContext* context, const v1::ListSupportDocumentsRequest* request,
    v1::ListSupportDocumentsResponse* response) {
  return OnWorker(context, [this, request, response](const auth::Subject& subject) -> absl::Status {
    if (request->author().empty() == request->unit().empty()) {
      return absl::InvalidArgumentError("set exactly one of author or unit");
    }
    if (request->page_size() < 0) return absl::InvalidArgumentError("page_size must be >= 0");
    const int page_size =
        request->page_size() == 0 ? kDefaultPageSize : std::min(request->page_size(), kMaxPageSize);
    if (!request->author().empty()) {
      RETURN_IF_ERROR(MayReadPerson(subject, request->author()));
    } else {
      ASSIGN_OR_RETURN(auto ancestry, peers_.directory->Ancestry(request->unit()));
      if (absl::Status s = auth::Authorize(subject, auth::Action::kRead, {ancestry, ""}); !s.ok()) {
        return s;
      }
    }
    std::string after = request->page_token();
    int scanned = 0;
    while (true) {
      ASSIGN_OR_RETURN(auto batch,
                       request->author().empty()
                           ? store_->ListByUnit(request->unit(), after, kScanBatch)
                           : store_->ListByAuthor(request->author(), after, kScanBatch));
      for (v1::SupportDocumentSummary& s : batch) {
        after = s.name();
        ++scanned;
        if ((request->year() != 0 && s.year() != request->year()) ||
            (request->module() != 0 && s.module() != request->module()) ||
            (request->kind() != v1::DOCUMENT_KIND_UNSPECIFIED && s.kind() != request->kind())) {
          continue;
        }
        *response->add_documents() = std::move(s);
        if (response->documents_size() == page_size) {
          response->set_next_page_token(after);
          return absl::OkStatus();
        }
      }
      if (static_cast<int>(batch.size()) < kScanBatch) return absl::OkStatus();
      if (scanned >= kMaxScanned) {  // keep one call bounded; the client continues
        response->set_next_page_token(after);
        return absl::OkStatus();
      }
    }
  });
}

grpc::ServerUnaryReactor* PlansService::RenderDocument(grpc::CallbackServerContext* context,
                                                       const v1::RenderDocumentRequest* request,
                                                       v1::RenderedDocument* response) {
  return OnWorker(context, [this, request, response](const auth::Subject& subject) -> absl::Status {
    ASSIGN_OR_RETURN(auto readable, LoadReadable(subject, request->name()));
    const LoadedDocument& doc = readable.first;
    const v1::Document& approval = readable.second;
    auto version = doc.At(request->version());
    if (!version.ok()) return version.status();

    RenderContext ctx;
    ctx.state = approval.state();
    ctx.signer_title = SignerTitle(approval.routing().sign_off().kind());
    if (!approval.routing().lecturer().empty()) {
      if (auto lecturer = peers_.directory->GetPerson(approval.routing().lecturer());
          lecturer.ok()) {
        ctx.lecturer_name = lecturer->display_name();
      }
    }
    // The verdict box shows the lecturer's last word on the version that was submitted.
    if (approval.state() != v1::DRAFT) {
      ASSIGN_OR_RETURN(auto token, peers_.token->Get());
      v1::ListHistoryRequest req;
      req.set_document(request->name());
      v1::ListHistoryResponse history;
      if (absl::Status s =
              clients::InvokeWithToken(peers_.approvals, &v1::Approvals::StubInterface::ListHistory,
                                       token, "approvals", req, &history);
          !s.ok()) {
        return s;
      }
      for (const v1::HistoryEntry& e : history.entries()) {
        if (e.event().has_submitted()) ctx.lecturer_passed = ctx.lecturer_returned = false;
        if (e.event().has_lecturer_approved()) ctx.lecturer_passed = true;
        if (e.event().has_returned() && e.event().returned().from_state() == v1::SUBMITTED) {
          ctx.lecturer_returned = true;
        }
      }
    }
    response->set_media_type("text/html; charset=utf-8");
    response->set_content(RenderHtml(*version, ctx));
    absl::string_view id = request->name();
    absl::ConsumePrefix(&id, "documents/");
    response->set_file_name(absl::StrCat(id, "-v", version->version(), ".html"));
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Eligibility> PlansService::EligibilityOf(const std::string& core_member,
                                                            int year,
                                                            const std::string& display_name) {
  // Modules the core member must report on: those the Sở assigned colleagues for, and
  // any with a document here.
  std::map<int, ModuleDocuments> modules;
  std::set<std::string> known;
  ASSIGN_OR_RETURN(auto docs, store_->ListByAuthor(core_member, "", 1000));
  for (const v1::SupportDocumentSummary& s : docs) {
    if (s.year() != year) continue;
    known.insert(s.name());
    modules[s.module()].module = s.module();
    if (s.kind() == v1::REPORT) modules[s.module()].report_not_deployed = s.not_deployed();
  }
  for (int module = 1; module <= 9; ++module) {
    auto group = peers_.directory->GetSupportGroup(core_member, year, module);
    if (absl::IsNotFound(group.status()) || absl::IsInvalidArgument(group.status())) continue;
    if (!group.ok()) return group.status();
    if (group->colleagues_size() == 0) continue;
    modules[module].module = module;
  }
  std::vector<ModuleDocuments> list;
  for (auto& [module, d] : modules) {
    for (v1::DocumentKind kind : {v1::PLAN, v1::REPORT}) {
      const std::string name = DocumentKey{core_member, kind, year, module}.Name();
      auto approval = ApprovalOf(name);
      if (!approval.ok()) return approval.status();
      v1::DocumentState state = approval->state();
      if (state == v1::DRAFT && !known.count(name)) state = v1::DOCUMENT_STATE_UNSPECIFIED;
      (kind == v1::PLAN ? d.plan : d.report) = state;
      if (kind == v1::REPORT && approval->not_deployed()) d.report_not_deployed = true;
    }
    list.push_back(d);
  }
  v1::Eligibility out = DecideEligibility(core_member, year, list);
  out.set_core_member_name(display_name);
  return out;
}

grpc::ServerUnaryReactor* PlansService::GetEligibility(grpc::CallbackServerContext* context,
                                                       const v1::GetEligibilityRequest* request,
                                                       v1::Eligibility* response) {
  return OnWorker(context, [this, request, response](const auth::Subject& subject) -> absl::Status {
    if (auto key = KeyOf(request->core_member(), v1::PLAN, request->year(), 1); !key.ok()) {
      return key.status();
    }
    RETURN_IF_ERROR(MayReadPerson(subject, request->core_member()));
    ASSIGN_OR_RETURN(auto person, peers_.directory->GetPerson(request->core_member()));
    ASSIGN_OR_RETURN(auto out,
                     EligibilityOf(request->core_member(), request->year(), person.display_name()));
    *response = std::move(out);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PlansService::ListEligibility(grpc::CallbackServerContext* context,
                                                        const v1::ListEligibilityRequest* request,
                                                        v1::ListEligibilityResponse* response) {
  return OnWorker(context, [this, request, response](const auth::Subject& subject) -> absl::Status {
    if (request->unit().empty()) return absl::InvalidArgumentError("unit is required (e.g. a Sở)");
    if (request->year() < 2000 || request->year() > 2100) {
      return absl::InvalidArgumentError(
          absl::StrCat("year must be 2000..2100, got ", request->year()));
    }
    if (request->page_size() < 0) return absl::InvalidArgumentError("page_size must be >= 0");
    const int page_size = request->page_size() == 0 ? 20 : std::min(request->page_size(), 100);
    ASSIGN_OR_RETURN(auto ancestry, peers_.directory->Ancestry(request->unit()));
    if (absl::Status s = auth::Authorize(subject, auth::Action::kRead, {ancestry, ""}); !s.ok()) {
      return s;
    }
    // Core members with documents of that year inside the unit, in name order.
    std::map<std::string, std::string> authors;  // name -> display name
    std::string after;
    for (int scanned = 0; scanned < kMaxScanned;) {
      ASSIGN_OR_RETURN(auto batch, store_->ListByUnit(request->unit(), after, kScanBatch));
      for (const v1::SupportDocumentSummary& s : batch) {
        after = s.name();
        ++scanned;
        if (s.year() == request->year() && s.author() > request->page_token()) {
          authors.emplace(s.author(), s.author_name());
        }
      }
      if (static_cast<int>(batch.size()) < kScanBatch) break;
    }
    for (const auto& [author, display_name] : authors) {
      auto e = EligibilityOf(author, request->year(), display_name);
      if (!e.ok()) return e.status();
      if (request->only_missing() && e->eligible()) continue;
      *response->add_core_members() = *std::move(e);
      if (response->core_members_size() == page_size) {
        if (author != authors.rbegin()->first) response->set_next_page_token(author);
        break;
      }
    }
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------ attachments

// Client-streaming upload: metadata first, then chunks; the type is checked on the first
// bytes and the size on every chunk, so a wrong or oversized file is refused early.
class PlansService::UploadReactor : public grpc::ServerReadReactor<v1::UploadAttachmentRequest> {
 public:
  UploadReactor(PlansService* service, grpc::CallbackServerContext* context,
                v1::Attachment* response)
      : service_(service), context_(context), response_(response) {
    auto subject = auth::SubjectFromContext(*context);
    if (!subject.ok()) {
      FinishOnce(subject.status());
      return;
    }
    subject_ = *std::move(subject);
    StartRead(&message_);
  }

  void OnReadDone(bool ok) override {
    if (finished_) return;
    if (!ok) {  // the client finished sending
      service_->workers_.Run([this] { FinishOnce(Store()); });
      return;
    }
    if (absl::Status s = Take(); !s.ok()) {
      FinishOnce(s);
      return;
    }
    StartRead(&message_);
  }

  void OnDone() override { delete this; }

 private:
  absl::Status Take() {
    // The edge validator covers unary and server-streaming requests before the handler;
    // the messages of this client stream are checked here, each as it arrives (ADR 008).
    RETURN_IF_ERROR(validation::ValidateAndNormalize(message_));
    if (first_) {
      first_ = false;
      if (!message_.has_metadata()) {
        return absl::InvalidArgumentError(
            "the first message must carry metadata (document, file_name)");
      }
      metadata_ = message_.metadata();
      ASSIGN_OR_RETURN(auto key, ParseDocumentName(metadata_.document()));
      ASSIGN_OR_RETURN(auto summary, service_->store_->Summary(metadata_.document()));
      if (!summary.has_value()) {
        // Only who may learn it is told that the document does not exist (issue 15).
        if (!auth::MayLearnAbsence(subject_, key.author)) {
          return auth::NotVisible(subject_, metadata_.document());
        }
        return absl::NotFoundError(absl::StrCat(metadata_.document(), " does not exist"));
      }
      const v1::SupportDocumentSummary& s = *summary;
      // The author (who scans the signed form) or someone who manages the author's unit
      // (the principal, the Phòng or Sở that signs).
      if (subject_.name != s.author()) {
        std::vector<std::string> ancestry(s.author_unit_ancestry().begin(),
                                          s.author_unit_ancestry().end());
        if (!auth::Authorize(subject_, auth::Action::kManage, {ancestry, s.author()}).ok()) {
          return auth::NotVisible(subject_, metadata_.document());
        }
      }
      return absl::OkStatus();
    }
    if (!message_.has_chunk() && !message_.has_metadata()) return absl::OkStatus();
    if (message_.has_metadata()) {
      return absl::InvalidArgumentError("metadata may only be sent once, in the first message");
    }
    const std::string& chunk = message_.chunk();
    if (static_cast<int64_t>(bytes_.size() + chunk.size()) >
        service_->options_.max_attachment_bytes) {
      return WithErrorInfo(absl::InvalidArgumentError(
                               absl::StrCat("the attachment is larger than the limit of ",
                                            service_->options_.max_attachment_bytes,
                                            " bytes; scan at a lower resolution or split it")),
                           "ATTACHMENT_TOO_LARGE");
    }
    const bool had_head = bytes_.size() >= 8;
    bytes_ += chunk;
    if (!had_head && bytes_.size() >= 8) {
      if (auto type = SniffMediaType(bytes_, false); !type.ok()) return type.status();
    }
    return absl::OkStatus();
  }

  absl::Status Store() {
    if (first_) return absl::InvalidArgumentError("no metadata was sent");
    if (bytes_.empty()) return absl::InvalidArgumentError("tệp đính kèm rỗng");
    ASSIGN_OR_RETURN(auto type, SniffMediaType(bytes_, true));
    v1::Attachment a;
    a.set_sha256(Sha256Hex(bytes_));
    a.set_size(static_cast<int64_t>(bytes_.size()));
    a.set_media_type(type);
    a.set_file_name(metadata_.file_name());
    a.set_reference(absl::StrCat(metadata_.document(), "/attachments/", a.sha256()));
    // What approvals asks of a SCANNED sign-off: proof that this document holds it.
    a.set_receipt(auth::AttachmentReceipt(service_->peers_.token->secret(), metadata_.document(),
                                          a.sha256()));
    a.set_uploaded_by(subject_.name);
    *a.mutable_uploaded() =
        TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(service_->clock_->Now()));
    // Bytes first (content-addressed, synced), then the event that points at them: a
    // crash in between leaves an unreferenced blob, never a dangling reference.
    RETURN_IF_ERROR(service_->blobs_->Put(a.sha256(), bytes_));
    PlansStore* store = service_->store_;
    Reservation reservation(store, metadata_.document());
    RETURN_IF_ERROR(reservation.status());
    ASSIGN_OR_RETURN(LoadedDocument doc, store->Load(metadata_.document()));
    // The request is the metadata and the file: bound to both.
    idempotency::Binding binding = idempotency::Bind(
        subject_.name, "/bdtx.v1.Plans/UploadAttachment", metadata_.document(), metadata_);
    binding.fingerprint = Sha256Hex(absl::StrCat(binding.fingerprint, a.sha256()));
    ASSIGN_OR_RETURN(bool replayed, Replayed(doc, metadata_.request_id(), binding, response_));
    if (replayed) return absl::OkStatus();
    for (const v1::Attachment& existing : doc.attachments) {
      if (existing.sha256() == a.sha256()) {  // the same file again: nothing new
        *response_ = existing;
        response_->set_receipt(a.receipt());  // also for files stored before receipts
        return absl::OkStatus();
      }
    }
    v1::PlansEvent event;
    *event.mutable_attachment_added()->mutable_attachment() = a;
    v1::RequestRecord record = idempotency::Record(binding);
    record.set_response(a.SerializeAsString());  // the answer is the attachment
    ASSIGN_OR_RETURN(
        v1::SupportDocument out,
        service_->Commit(metadata_.document(), doc, event, subject_.name, metadata_.request_id(),
                         record, v1::DOCUMENT_STATE_UNSPECIFIED));
    for (const v1::Attachment& stored : out.attachments()) {
      if (stored.sha256() == a.sha256()) *response_ = stored;
    }
    server::LogInfo("attachment stored", {{"document", metadata_.document()},
                                          {"sha256", a.sha256()},
                                          {"bytes", absl::StrCat(a.size())}});
    return absl::OkStatus();
  }

  void FinishOnce(const absl::Status& s) {
    if (finished_.exchange(true)) return;
    Finish(ToGrpcStatus(s));
  }

  PlansService* const service_;
  grpc::CallbackServerContext* const context_;
  v1::Attachment* const response_;
  auth::Subject subject_;
  v1::UploadAttachmentRequest message_;
  v1::UploadAttachmentRequest::Metadata metadata_;
  bool first_ = true;
  std::string bytes_;
  std::atomic<bool> finished_{false};
};

grpc::ServerReadReactor<v1::UploadAttachmentRequest>* PlansService::UploadAttachment(
    grpc::CallbackServerContext* context, v1::Attachment* response) {
  return new UploadReactor(this, context, response);
}

class PlansService::DownloadReactor : public grpc::ServerWriteReactor<v1::AttachmentChunk> {
 public:
  DownloadReactor(PlansService* service, grpc::CallbackServerContext* context,
                  const v1::DownloadAttachmentRequest* request)
      : service_(service) {
    auto subject = auth::SubjectFromContext(*context);
    if (!subject.ok()) {
      Finish(ToGrpcStatus(subject.status()));
      return;
    }
    service_->workers_.Run([this, request, subject = *std::move(subject)] {
      absl::Status s = Prepare(subject, *request);
      if (!s.ok()) {
        Finish(ToGrpcStatus(s));
        return;
      }
      WriteNext();
    });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    WriteNext();
  }
  void OnDone() override { delete this; }

 private:
  absl::Status Prepare(const auth::Subject& subject, const v1::DownloadAttachmentRequest& request) {
    ASSIGN_OR_RETURN(auto readable, service_->LoadReadable(subject, request.document()));
    for (const v1::Attachment& a : readable.first.attachments) {
      if (a.sha256() == request.sha256()) attachment_ = a;
    }
    if (attachment_.sha256().empty()) {
      return absl::NotFoundError(
          absl::StrCat(request.document(), " has no attachment with sha256 ", request.sha256()));
    }
    auto bytes = service_->blobs_->Get(attachment_.sha256());
    if (!bytes.ok()) return bytes.status();
    if (Sha256Hex(*bytes) != attachment_.sha256()) {
      return absl::DataLossError(
          absl::StrCat("stored bytes of ", attachment_.sha256(), " do not match their hash"));
    }
    bytes_ = *std::move(bytes);
    return absl::OkStatus();
  }

  void WriteNext() {
    if (started_ && offset_ >= bytes_.size()) {
      Finish(grpc::Status::OK);
      return;
    }
    chunk_.Clear();
    if (!started_) *chunk_.mutable_attachment() = attachment_;  // metadata first
    started_ = true;
    const size_t n = std::min(kChunkBytes, bytes_.size() - offset_);
    chunk_.set_data(bytes_.substr(offset_, n));
    offset_ += n;
    StartWrite(&chunk_);
  }

  PlansService* const service_;
  v1::Attachment attachment_;
  std::string bytes_;
  size_t offset_ = 0;
  bool started_ = false;
  v1::AttachmentChunk chunk_;
};

grpc::ServerWriteReactor<v1::AttachmentChunk>* PlansService::DownloadAttachment(
    grpc::CallbackServerContext* context, const v1::DownloadAttachmentRequest* request) {
  return new DownloadReactor(this, context, request);
}

}  // namespace bdtx::plans
