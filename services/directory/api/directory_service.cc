#include "services/directory/api/directory_service.h"

#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/idempotency/idempotency.h"
#include "common/server/logging.h"
#include "common/server/trace.h"
#include "common/server/unary.h"
#include "common/status/status_macros.h"
#include "common/validation/validator.h"
#include "services/directory/domain/routing.h"

namespace bdtx::directory {
namespace {

using server::FinishUnary;

constexpr int kMaxBatchPeople = 1000;
constexpr char kImportMethod[] = "/bdtx.v1.Directory/ImportCsv";
constexpr char kImportStreamMethod[] = "/bdtx.v1.Directory/ImportCsvStream";

absl::Status NotFound(absl::string_view what, absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("no ", what, " ", name));
}

// A person's contact details (email) are personal data: shown to the person, services,
// admins, the ministry and the officers/leaders over the person's unit; everyone else
// gets the record without them (names, roles and units are what routing shows anyway).
void RedactFor(const auth::Subject& subject, const DirectoryView& view, Person* person) {
  if (person->email().empty() || subject.name == person->name()) return;
  auth::ResourceScope scope{UnitAncestry(view, BareId(person->home_unit())), person->name()};
  if (!auth::Authorize(subject, auth::Action::kRead, scope).ok()) person->clear_email();
}

// Who may read a class (its learners and graders): its graders and learners, the
// lecturer assigned to one of its graders for its year and module, and whoever may read
// inside the unit running it (officers/leaders there or above, the ministry, admins,
// services).
bool MayReadClass(const auth::Subject& subject, const DirectoryView& view, const Class& cls) {
  for (const auto* list : {&cls.graders(), &cls.learners()}) {
    if (std::find(list->begin(), list->end(), subject.name) != list->end()) return true;
  }
  for (const std::string& grader : cls.graders()) {
    std::optional<std::string> lecturer = view.LecturerOf(cls.year(), cls.module(), BareId(grader));
    if (lecturer && PersonName(*lecturer) == subject.name) return true;
  }
  return auth::Authorize(subject, auth::Action::kRead, {UnitAncestry(view, BareId(cls.unit())), ""})
      .ok();
}

// One WatchChanges stream: a thread waits on the event store (which a gRPC thread must
// not) and writes the version at once, after every new import event, and at least once
// a second as a heartbeat.
class WatchReactor : public grpc::ServerWriteReactor<bdtx::v1::DirectoryChange> {
 public:
  // `still_allowed`: asked before every message (auth::StreamRecheck); a refusal ends
  // the stream with it.
  WatchReactor(eventstore::EventStore* events, const std::atomic<bool>* stopped,
               std::function<absl::Status()> still_allowed)
      : events_(events), server_stopped_(stopped), still_allowed_(std::move(still_allowed)) {
    // The stream's thread logs under the call's span.
    thread_ = std::thread(::bdtx::server::BindTrace([this] { Run(); }));
  }
  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) stopped_ = true;
  }
  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      stopped_ = true;
    }
    events_->WakeWaiters();  // so OnDone's join does not wait out the heartbeat
  }
  void OnDone() override {
    thread_.join();
    delete this;
  }

 private:
  void Run() {
    int64_t version = events_->LastPosition();
    bool heartbeat = false;
    absl::Status status;
    while (!server_stopped_->load()) {
      if (!(status = still_allowed_()).ok()) break;
      {
        absl::MutexLock lock(&mu_);
        if (stopped_) break;
        message_.set_version(version);
        message_.set_heartbeat(heartbeat);
        writing_ = true;
        StartWrite(&message_);
        auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !writing_ || stopped_; };
        mu_.Await(absl::Condition(&done));
        if (stopped_) break;
      }
      const int64_t next = events_->WaitForPosition(version, absl::Seconds(1));
      heartbeat = next == version;
      version = next;
    }
    Finish(ToGrpcStatus(status));
  }

  eventstore::EventStore* const events_;
  const std::atomic<bool>* const server_stopped_;
  const std::function<absl::Status()> still_allowed_;
  bdtx::v1::DirectoryChange message_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace

absl::StatusOr<auth::CurrentRoles> StoreRolesResolver::Resolve(const std::string& person) {
  std::optional<Person> found = store_->FindPerson(BareId(person));
  if (!found) return NotFound("person", person);
  auth::CurrentRoles roles;
  for (int role : found->roles()) roles.roles.push_back(bdtx::v1::Role_Name(role));
  roles.unit = found->home_unit();
  roles.removed = found->removed();
  return roles;
}

grpc::ServerWriteReactor<bdtx::v1::DirectoryChange>* DirectoryService::WatchChanges(
    grpc::CallbackServerContext* context, const bdtx::v1::WatchChangesRequest* /*request*/) {
  absl::StatusOr<auth::Subject> subject = auth::SubjectFromContext(*context);
  absl::Status refused = subject.status();
  if (subject.ok() && !subject->IsService() && !subject->HasRole(bdtx::v1::SYSTEM_ADMIN)) {
    refused = absl::PermissionDeniedError(
        absl::StrCat(subject->name, " may not watch the directory: services and admins only"));
  }
  if (!refused.ok()) {
    class Refused : public grpc::ServerWriteReactor<bdtx::v1::DirectoryChange> {
     public:
      explicit Refused(const absl::Status& s) { Finish(ToGrpcStatus(s)); }
      void OnDone() override { delete this; }
    };
    return new Refused(refused);
  }
  return new WatchReactor(store_->events(), &watches_stopped_,
                          auth::StreamRecheck(*context, [](const auth::Subject& s) {
                            return auth::OnlyServicesAndAdmins(s, "theo dõi thay đổi danh bạ");
                          }));
}

void DirectoryService::StopWatches() {
  watches_stopped_ = true;
  store_->events()->WakeWaiters();
}

DirectoryService::~DirectoryService() {
  absl::MutexLock lock(&workers_mu_);
  for (std::thread& t : workers_) t.join();
}

void DirectoryService::RunInBackground(std::function<void()> work) {
  absl::MutexLock lock(&workers_mu_);
  workers_.emplace_back(server::BindTrace(std::move(work)));
}

grpc::ServerUnaryReactor* DirectoryService::GetUnit(grpc::CallbackServerContext* context,
                                                    const bdtx::v1::GetUnitRequest* request,
                                                    bdtx::v1::Unit* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    if (auto s = auth::SubjectFromContext(*context); !s.ok()) return s.status();
    std::optional<Unit> unit = store_->FindUnit(BareId(request->name()));
    if (!unit) return NotFound("unit", request->name());
    *response = *std::move(unit);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* DirectoryService::LookupUnit(grpc::CallbackServerContext* context,
                                                       const bdtx::v1::LookupUnitRequest* request,
                                                       bdtx::v1::Unit* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    if (auto s = auth::SubjectFromContext(*context); !s.ok()) return s.status();
    std::optional<std::string> id = store_->UnitIdByCode(request->code());
    std::optional<Unit> unit = id ? store_->FindUnit(*id) : std::nullopt;
    if (!unit) return NotFound("unit with code", request->code());
    *response = *std::move(unit);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* DirectoryService::ListUnits(grpc::CallbackServerContext* context,
                                                      const bdtx::v1::ListUnitsRequest* request,
                                                      bdtx::v1::ListUnitsResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    if (auto s = auth::SubjectFromContext(*context); !s.ok()) return s.status();
    if (request->page_size() < 0) return absl::InvalidArgumentError("page_size must be >= 0");
    ASSIGN_OR_RETURN(auto page, store_->ListUnits(BareId(request->parent()), request->kind(),
                                                  request->page_size(), request->page_token()));
    for (Unit& u : page.items) *response->add_units() = std::move(u);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* DirectoryService::GetPerson(grpc::CallbackServerContext* context,
                                                      const bdtx::v1::GetPersonRequest* request,
                                                      bdtx::v1::Person* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    std::optional<Person> person = store_->FindPerson(BareId(request->name()));
    if (!person) return NotFound("person", request->name());
    RedactFor(subject, *store_, &*person);
    *response = *std::move(person);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* DirectoryService::BatchGetPeople(
    grpc::CallbackServerContext* context, const bdtx::v1::BatchGetPeopleRequest* request,
    bdtx::v1::BatchGetPeopleResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    if (request->names_size() > kMaxBatchPeople) {
      return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxBatchPeople,
                                                     " names per BatchGetPeople call, got ",
                                                     request->names_size(), "; split the list"));
    }
    for (const std::string& name : request->names()) {
      std::optional<Person> person = store_->FindPerson(BareId(name));
      if (!person) return NotFound("person", name);
      RedactFor(subject, *store_, &*person);
      *response->add_people() = *std::move(person);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* DirectoryService::LookupPerson(
    grpc::CallbackServerContext* context, const bdtx::v1::LookupPersonRequest* request,
    bdtx::v1::Person* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    std::optional<std::string> id = store_->PersonIdByCode(request->code());
    std::optional<Person> person = id ? store_->FindPerson(*id) : std::nullopt;
    if (!person) return NotFound("person with code", request->code());
    RedactFor(subject, *store_, &*person);
    *response = *std::move(person);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* DirectoryService::ListPeople(grpc::CallbackServerContext* context,
                                                       const bdtx::v1::ListPeopleRequest* request,
                                                       bdtx::v1::ListPeopleResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    if (request->page_size() < 0) return absl::InvalidArgumentError("page_size must be >= 0");
    ASSIGN_OR_RETURN(auto page, store_->ListPeople(BareId(request->unit()), request->role(),
                                                   request->page_size(), request->page_token()));
    for (Person& p : page.items) {
      RedactFor(subject, *store_, &p);
      *response->add_people() = std::move(p);
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* DirectoryService::GetClass(grpc::CallbackServerContext* context,
                                                     const bdtx::v1::GetClassRequest* request,
                                                     bdtx::v1::Class* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    std::optional<Class> cls = store_->FindClass(BareId(request->name()));
    // One refusal whether the class exists or not, for who may not read it.
    if (!cls) {
      if (!auth::MayLearnAbsence(subject, "")) return auth::NotVisible(subject, request->name());
      return NotFound("class", request->name());
    }
    if (!MayReadClass(subject, *store_, *cls)) return auth::NotVisible(subject, request->name());
    *response = *std::move(cls);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* DirectoryService::GetSupportGroup(
    grpc::CallbackServerContext* context, const bdtx::v1::GetSupportGroupRequest* request,
    bdtx::v1::SupportGroup* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    if (absl::Status s = ValidateYearModule(request->year(), request->module()); !s.ok()) {
      return s;
    }
    if (request->core_member().empty() == request->colleague().empty()) {
      return absl::InvalidArgumentError("set exactly one of core_member or colleague");
    }
    const std::string& asked =
        request->core_member().empty() ? request->colleague() : request->core_member();
    // NOT_FOUND only for who may learn it (the person asked about, admins, services, the
    // ministry); others get the refusal they would get for an existing group.
    auto absent = [&](absl::Status not_found) {
      return auth::MayLearnAbsence(subject, asked) ? not_found : auth::NotVisible(subject, asked);
    };
    std::string core = BareId(request->core_member());
    if (!request->colleague().empty()) {
      auto supporter =
          store_->SupporterOf(request->year(), request->module(), BareId(request->colleague()));
      if (!supporter) {
        return absent(absl::NotFoundError(
            absl::StrCat("no core member supports ", request->colleague(), " in module ",
                         request->module(), " of ", request->year())));
      }
      core = *supporter;
    }
    std::optional<Person> core_person = store_->FindPerson(core);
    if (!core_person) return absent(NotFound("person", request->core_member()));
    response->set_core_member(PersonName(core));
    response->set_year(request->year());
    response->set_module(request->module());
    for (const std::string& id : store_->SupportGroup(request->year(), request->module(), core)) {
      response->add_colleagues(PersonName(id));
    }
    if (auto lecturer = store_->LecturerOf(request->year(), request->module(), core)) {
      response->set_lecturer(PersonName(*lecturer));
    }
    // A support group is read by its core member, its colleagues, its lecturer, and
    // whoever may read inside the core member's unit (officers there or above, the
    // ministry, admins, services); others get the one refusal.
    const bool member = subject.name == response->core_member() ||
                        subject.name == response->lecturer() ||
                        std::find(response->colleagues().begin(), response->colleagues().end(),
                                  subject.name) != response->colleagues().end();
    if (!member && !auth::Authorize(subject, auth::Action::kRead,
                                    {UnitAncestry(*store_, BareId(core_person->home_unit())),
                                     response->core_member()})
                        .ok()) {
      response->Clear();
      return auth::NotVisible(subject, asked);
    }
    if (response->colleagues_size() > kUsualSupportGroupSize) {
      response->set_warning(absl::StrCat(response->colleagues_size(),
                                         " colleagues: more than the usual ",
                                         kUsualSupportGroupSize));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* DirectoryService::RouteDocument(
    grpc::CallbackServerContext* context, const bdtx::v1::RouteDocumentRequest* request,
    bdtx::v1::Routing* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    if (auto s = auth::SubjectFromContext(*context); !s.ok()) return s.status();
    ASSIGN_OR_RETURN(bdtx::v1::Routing routing, directory::RouteDocument(*store_, *request));
    *response = std::move(routing);
    return absl::OkStatus();
  });
}

absl::Status DirectoryService::MayImport(const auth::Subject& subject) {
  if (!subject.HasRole(bdtx::v1::SYSTEM_ADMIN) && !subject.HasRole(bdtx::v1::PROVINCE_OFFICER) &&
      !subject.HasRole(bdtx::v1::PROVINCE_LEADER)) {
    return absl::PermissionDeniedError(
        absl::StrCat(subject.name, " may not import: only a system admin or a Sở officer may"));
  }
  return absl::OkStatus();
}

absl::Status DirectoryService::MaySoImport(const auth::Subject& subject, const ImportPlan& plan) {
  // A Sở officer imports only inside their own province: every record where it will sit
  // and, when it exists, where it sits now (a unit, person or class is not theirs to
  // pull in from another province), and no role above a province (issue 22: a Sở gave
  // itself SYSTEM_ADMIN by importing its own row).
  auto inside = [&](absl::string_view unit_id) {
    auth::ResourceScope scope{UnitAncestry(*store_, unit_id), ""};
    if (scope.unit_ancestry.empty()) scope.unit_ancestry.push_back(UnitName(unit_id));
    return auth::Authorize(subject, auth::Action::kManage, scope);
  };
  auto beyond_province = [&](const Person& p) -> absl::Status {
    for (int role : p.roles()) {
      if (role == bdtx::v1::SYSTEM_ADMIN || role == bdtx::v1::MINISTRY_OFFICER) {
        return absl::PermissionDeniedError(absl::StrCat(
            subject.name, " không được nhập ", p.name(), " với vai trò ", bdtx::v1::Role_Name(role),
            " hay đổi người giữ vai trò đó: chỉ quản trị hệ thống"));
      }
    }
    return absl::OkStatus();
  };
  // Where each record will sit.
  for (const Unit& u : plan.units) {
    RETURN_IF_ERROR(inside(BareId(u.parent().empty() ? u.name() : u.parent())));
  }
  for (const Person& p : plan.people) RETURN_IF_ERROR(inside(BareId(p.home_unit())));
  for (const Class& c : plan.classes) RETURN_IF_ERROR(inside(BareId(c.unit())));
  for (const Unit& u : plan.units) {
    if (std::optional<Unit> now = store_->FindUnit(BareId(u.name()))) {
      // Where it hangs now: a root (the ministry) is out of reach.
      if (now->parent().empty()) {
        return absl::PermissionDeniedError(
            absl::StrCat(subject.name, " không được đổi ", u.name(), ": chỉ quản trị hệ thống"));
      }
      RETURN_IF_ERROR(inside(BareId(now->parent())));
    }
  }
  for (const Person& p : plan.people) {
    RETURN_IF_ERROR(beyond_province(p));
    if (std::optional<Person> now = store_->FindPerson(BareId(p.name()))) {
      RETURN_IF_ERROR(inside(BareId(now->home_unit())));
      RETURN_IF_ERROR(beyond_province(*now));
    }
  }
  for (const Class& c : plan.classes) {
    if (std::optional<Class> now = store_->FindClass(BareId(c.name()))) {
      RETURN_IF_ERROR(inside(BareId(now->unit())));
    }
  }
  auto person_inside = [&](const std::string& id) -> absl::Status {
    std::optional<Person> person = store_->FindPerson(id);
    return inside(BareId(person ? person->home_unit() : ""));
  };
  for (const auto& a : plan.support) {
    RETURN_IF_ERROR(person_inside(a.core));
    RETURN_IF_ERROR(person_inside(a.colleague));
  }
  for (const auto& a : plan.lecturers) RETURN_IF_ERROR(person_inside(a.core));
  for (const auto& m : plan.members) {
    std::optional<Class> cls = store_->FindClass(m.class_id);
    RETURN_IF_ERROR(inside(BareId(cls ? cls->unit() : "")));
  }
  return absl::OkStatus();
}

absl::Status DirectoryService::Import(const auth::Subject& subject, absl::string_view method,
                                      const bdtx::v1::ImportCsvRequest& request,
                                      bdtx::v1::ImportCsvResponse* response) {
  RETURN_IF_ERROR(MayImport(subject));
  const bool admin = subject.HasRole(bdtx::v1::SYSTEM_ADMIN);
  const std::string file = request.file_name().empty() ? "upload.csv" : request.file_name();
  const std::string sha = Sha256Hex(request.content());
  absl::MutexLock lock(&import_mu_);
  // The request_id (AIP-155): bound to the caller, the RPC and what the file is (kind,
  // sha256, validate_only), not its name. The record is private to the caller (ScopedId),
  // so nobody else's import is ever answered; it is looked up once the caller's role may
  // import, and the unit-level checks below were made for this caller and this file when
  // it was first applied.
  std::string request_key;
  idempotency::Binding binding;
  if (!request.request_id().empty()) {
    bdtx::v1::ImportCsvRequest what;
    what.set_kind(request.kind());
    what.set_content(sha);  // the file by its hash
    what.set_validate_only(request.validate_only());
    binding = idempotency::Bind(subject.name, method, "directory", what);
    request_key = idempotency::ScopedId(subject.name, request.request_id());
    ASSIGN_OR_RETURN(std::optional<bdtx::v1::RequestRecord> recorded,
                     store_->FindRequest(request_key));
    if (recorded.has_value()) {
      RETURN_IF_ERROR(idempotency::CheckSame(binding, *recorded));
      if (!response->ParseFromString((recorded)->response())) {
        return idempotency::Reused(request.request_id(), (recorded)->method());
      }
      return absl::OkStatus();  // the first answer; nothing written
    }
  }
  ASSIGN_OR_RETURN(ImportPlan plan, PlanImport(request.kind(), file, request.content(), *store_));
  if (!admin) RETURN_IF_ERROR(MaySoImport(subject, plan));
  if (request.validate_only()) {
    response->set_rows(plan.rows);
    response->set_sha256(sha);
    for (const std::string& w : plan.warnings) response->add_warnings(w);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(bdtx::v1::ImportCsvResponse result,
                   store_->Apply(plan, file, sha, subject.name, clock_->Now(), request_key,
                                 request_key.empty() ? bdtx::v1::RequestRecord()
                                                     : idempotency::Record(binding)));
  *response = std::move(result);
  server::LogInfo("import applied", {{"file", file},
                                     {"kind", bdtx::v1::ImportKind_Name(request.kind())},
                                     {"by", subject.name},
                                     {"rows", absl::StrCat(response->rows())},
                                     {"created", absl::StrCat(response->created())},
                                     {"updated", absl::StrCat(response->updated())},
                                     {"sha256", sha}});
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* DirectoryService::ImportCsv(grpc::CallbackServerContext* context,
                                                      const bdtx::v1::ImportCsvRequest* request,
                                                      bdtx::v1::ImportCsvResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<auth::Subject> subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) {
    reactor->Finish(ToGrpcStatus(subject.status()));
    return reactor;
  }
  RunInBackground([this, reactor, request, response, subject = *std::move(subject)] {
    reactor->Finish(ToGrpcStatus(Import(subject, kImportMethod, *request, response)));
  });
  return reactor;
}

// Collects the chunks of one streamed import into one ImportCsvRequest, then runs the
// same Import as ImportCsv (all or nothing) off the gRPC threads.
class DirectoryService::ImportStreamReactor
    : public grpc::ServerReadReactor<bdtx::v1::ImportCsvChunk> {
 public:
  ImportStreamReactor(DirectoryService* service, grpc::CallbackServerContext* context,
                      auth::Subject subject, bdtx::v1::ImportCsvResponse* response)
      : service_(service), context_(context), subject_(std::move(subject)), response_(response) {
    StartRead(&chunk_);
  }
  ~ImportStreamReactor() override { --service_->import_streams_; }
  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed: the file is complete
      if (first_)
        return Finish(ToGrpcStatus(absl::InvalidArgumentError(
            "the import stream was empty: send at least one chunk with kind")));
      service_->RunInBackground([this] {
        // A stream cut short (client gone) also ends the reads: never apply a part.
        if (context_->IsCancelled()) {
          return Finish(ToGrpcStatus(absl::CancelledError(
              "the import stream was cancelled before it ended; nothing was applied")));
        }
        Finish(ToGrpcStatus(service_->Import(subject_, kImportStreamMethod, request_, response_)));
      });
      return;
    }
    if (absl::Status s = Add(); !s.ok()) return Finish(ToGrpcStatus(s));
    StartRead(&chunk_);
  }
  void OnDone() override { delete this; }

 private:
  absl::Status Add() {
    // The edge validator covers unary requests before the handler; the chunks of this
    // client stream are checked here, each as it arrives (ADR 008): kind, file_name and
    // request_id limits, NFC.
    RETURN_IF_ERROR(validation::ValidateAndNormalize(chunk_));
    if (first_) {
      first_ = false;
      if (chunk_.kind() == bdtx::v1::IMPORT_KIND_UNSPECIFIED) {
        return absl::InvalidArgumentError("the first chunk must name the kind of the file");
      }
      request_.set_kind(chunk_.kind());
      request_.set_file_name(chunk_.file_name());
      request_.set_validate_only(chunk_.validate_only());
      request_.set_request_id(chunk_.request_id());
    } else if ((chunk_.kind() != bdtx::v1::IMPORT_KIND_UNSPECIFIED &&
                chunk_.kind() != request_.kind()) ||
               (!chunk_.file_name().empty() && chunk_.file_name() != request_.file_name()) ||
               (chunk_.validate_only() && !request_.validate_only()) ||
               (!chunk_.request_id().empty() && chunk_.request_id() != request_.request_id())) {
      return absl::InvalidArgumentError(
          "a later chunk names another kind, file name, validate_only or request_id than the "
          "first");
    }
    if (request_.content().size() + chunk_.content().size() > kMaxImportBytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the file is larger than ", kMaxImportBytes >> 20,
                       " MiB, the most one import takes; split it (docs/import.md)"));
    }
    request_.mutable_content()->append(chunk_.content());
    return absl::OkStatus();
  }

  DirectoryService* const service_;
  grpc::CallbackServerContext* const context_;
  const auth::Subject subject_;
  bdtx::v1::ImportCsvResponse* const response_;
  bdtx::v1::ImportCsvChunk chunk_;
  bdtx::v1::ImportCsvRequest request_;
  bool first_ = true;
};

grpc::ServerReadReactor<bdtx::v1::ImportCsvChunk>* DirectoryService::ImportCsvStream(
    grpc::CallbackServerContext* context, bdtx::v1::ImportCsvResponse* response) {
  class Refused : public grpc::ServerReadReactor<bdtx::v1::ImportCsvChunk> {
   public:
    explicit Refused(const absl::Status& s) { Finish(ToGrpcStatus(s)); }
    void OnDone() override { delete this; }
  };
  absl::StatusOr<auth::Subject> subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return new Refused(subject.status());
  // Refused before a byte is read: a stranger (or a third concurrent import) must not
  // make the directory buffer up to kMaxImportBytes first.
  if (absl::Status may = MayImport(*subject); !may.ok()) return new Refused(may);
  if (++import_streams_ > kMaxImportStreams) {
    --import_streams_;
    return new Refused(absl::ResourceExhaustedError(absl::StrCat(
        kMaxImportStreams, " streamed imports are already being received (each may hold up to ",
        kMaxImportBytes >> 20, " MiB): retry when one of them has ended")));
  }
  return new ImportStreamReactor(this, context, *std::move(subject), response);
}

grpc::ServerUnaryReactor* DirectoryService::ExportCsv(grpc::CallbackServerContext* context,
                                                      const bdtx::v1::ExportCsvRequest* request,
                                                      bdtx::v1::ExportCsvResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<auth::Subject> subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) {
    reactor->Finish(ToGrpcStatus(subject.status()));
    return reactor;
  }
  if (!subject->HasRole(bdtx::v1::SYSTEM_ADMIN) && !subject->HasRole(bdtx::v1::MINISTRY_OFFICER)) {
    reactor->Finish(ToGrpcStatus(absl::PermissionDeniedError(absl::StrCat(
        subject->name, " may not export the directory: only a system admin or ministry officer"))));
    return reactor;
  }
  RunInBackground([this, reactor, request, response] {
    absl::StatusOr<std::string> csv = store_->ExportCsv(request->kind());
    if (csv.ok()) response->set_content(*std::move(csv));
    reactor->Finish(ToGrpcStatus(csv.status()));
  });
  return reactor;
}

}  // namespace bdtx::directory
