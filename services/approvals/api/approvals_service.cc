#include "services/approvals/api/approvals_service.h"

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/receipt.h"
#include "common/auth/subject.h"
#include "common/clients/directory_client.h"
#include "common/idempotency/idempotency.h"
#include "common/server/event_stream.h"
#include "common/server/logging.h"
#include "common/server/trace.h"
#include "common/server/unary.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"

namespace bdtx::approvals {
namespace {

using server::FinishUnary;

Actor ActorOf(const auth::Subject& subject) {
  return Actor{subject.name, subject.roles, subject.unit};
}

}  // namespace

grpc::ServerWriteReactor<bdtx::v1::StoredEvent>* ApprovalsService::SubscribeEvents(
    grpc::CallbackServerContext* context, const bdtx::v1::SubscribeEventsRequest* request) {
  // Approvals' stream names the document (the stream is one document's chain).
  return server::ServeEventStream<bdtx::v1::StoredEvent>(
      *context, store_->events(), request->from_position(),
      [](const eventstore::EventEnvelope& e, bdtx::v1::StoredEvent* message) {
        message->set_position(e.position());
        message->set_document(e.stream());
        message->set_version(e.version());
        *message->mutable_time() = e.time();
        message->set_actor(e.actor());
        return e.payload().UnpackTo(message->mutable_event());
      });
}

grpc::ServerUnaryReactor* ApprovalsService::Execute(
    grpc::CallbackServerContext* context, const char* method,
    const google::protobuf::Message& request, const std::string& document,
    const std::string& request_id, int64_t expected_version, bdtx::v1::Document* response,
    CommandBuilder build) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto finish = [reactor](const absl::Status& s) { reactor->Finish(ToGrpcStatus(s)); };
  // Everything that can refuse before deciding, in the order AIP-155 needs: who calls,
  // may they touch this document, and only then: was this request already answered?
  absl::StatusOr<LoadedPtr> opened = [&]() -> absl::StatusOr<LoadedPtr> {
    ASSIGN_OR_RETURN(auth::Subject subject, auth::SubjectFromContext(*context));
    ASSIGN_OR_RETURN(DocumentKey key, ParseDocumentName(document));
    ASSIGN_OR_RETURN(LoadedPtr loaded, store_->Load(key));
    RETURN_IF_ERROR(MayCommand(subject, loaded->document));
    return loaded;
  }();
  if (!opened.ok()) return server::FinishWith(reactor, opened.status());
  LoadedPtr shared = *std::move(opened);
  const auth::Subject subject = *auth::SubjectFromContext(*context);
  const DocumentKey& key = shared->document.key;
  const idempotency::Binding binding = idempotency::Bind(subject.name, method, document, request);
  // A retried command returns its first answer and writes nothing.
  absl::StatusOr<std::optional<bdtx::v1::Document>> replay =
      store_->Replay(*shared, request_id, binding, deadlines_.For(key.year, key.module));
  if (!replay.ok()) return server::FinishWith(reactor, replay.status());
  if (replay->has_value()) {
    *response = **std::move(replay);
    return server::FinishWith(reactor, absl::OkStatus());
  }
  if (expected_version > 0 && expected_version != shared->document.version) {
    return server::FinishWith(
        reactor, absl::AbortedError(absl::StrCat(
                     document, " is at version ", shared->document.version,
                     ", the command expected version ", expected_version, "; reload and retry")));
  }
  std::move(build)(*shared, [this, reactor, response, shared, request_id, finish,
                             record = idempotency::Record(binding),
                             actor = ActorOf(subject)](absl::StatusOr<Command> command) mutable {
    if (!command.ok()) return finish(command.status());
    const absl::Time now = clock_->Now();
    absl::StatusOr<std::vector<ApprovalEvent>> events =
        Decide(shared->document, *command, actor, now);
    if (!events.ok()) return finish(events.status());
    const absl::Time deadline =
        deadlines_.For(shared->document.key.year, shared->document.key.module);
    store_->Commit(std::move(shared), *std::move(events), actor.person, now, request_id, record,
                   deadline, [reactor, response](absl::StatusOr<bdtx::v1::Document> doc) {
                     if (doc.ok()) *response = *std::move(doc);
                     reactor->Finish(ToGrpcStatus(doc.status()));
                   });
  });
  return reactor;
}

grpc::ServerUnaryReactor* ApprovalsService::Submit(grpc::CallbackServerContext* context,
                                                   const bdtx::v1::SubmitRequest* request,
                                                   bdtx::v1::Document* response) {
  return Execute(
      context, "/bdtx.v1.Approvals/Submit", *request, request->document(), request->request_id(),
      request->expected_version(), response,
      [this, request, deadline = absl::FromChrono(context->deadline())](
          const Loaded& loaded, absl::AnyInvocable<void(absl::StatusOr<Command>) &&> next) {
        approvals::Submit submit;
        submit.content_sha256 = request->content_sha256();
        submit.not_deployed = request->not_deployed();
        const DocumentKey& key = loaded.document.key;
        submit.deadline = deadlines_.For(key.year, key.module);
        if (key.kind == bdtx::v1::REPORT) {
          auto plan = store_->Load(DocumentKey{key.author, bdtx::v1::PLAN, key.year, key.module});
          if (!plan.ok()) return std::move(next)(plan.status());
          submit.plan_state = (*plan)->document.state;
        }
        if (loaded.document.state != bdtx::v1::DRAFT) return std::move(next)(submit);
        // First submission: ask the directory who approves and who signs off.
        FetchRouting(key, deadline,
                     [submit = std::move(submit),
                      next = std::move(next)](absl::StatusOr<bdtx::v1::Routing> routing) mutable {
                       if (!routing.ok()) return std::move(next)(routing.status());
                       submit.routing = *std::move(routing);
                       std::move(next)(std::move(submit));
                     });
      });
}

grpc::ServerUnaryReactor* ApprovalsService::Approve(grpc::CallbackServerContext* context,
                                                    const bdtx::v1::ApproveRequest* request,
                                                    bdtx::v1::Document* response) {
  return Execute(
      context, "/bdtx.v1.Approvals/Approve", *request, request->document(), request->request_id(),
      request->expected_version(), response,
      [request](const Loaded&, absl::AnyInvocable<void(absl::StatusOr<Command>) &&> next) {
        std::move(next)(approvals::Approve{request->comment()});
      });
}

grpc::ServerUnaryReactor* ApprovalsService::Return(grpc::CallbackServerContext* context,
                                                   const bdtx::v1::ReturnRequest* request,
                                                   bdtx::v1::Document* response) {
  return Execute(
      context, "/bdtx.v1.Approvals/Return", *request, request->document(), request->request_id(),
      request->expected_version(), response,
      [request](const Loaded&, absl::AnyInvocable<void(absl::StatusOr<Command>) &&> next) {
        std::move(next)(approvals::Return{request->reason()});
      });
}

grpc::ServerUnaryReactor* ApprovalsService::SignOff(grpc::CallbackServerContext* context,
                                                    const bdtx::v1::SignOffRequest* request,
                                                    bdtx::v1::Document* response) {
  return Execute(context, "/bdtx.v1.Approvals/SignOff", *request, request->document(),
                 request->request_id(), request->expected_version(), response,
                 [this, request](const Loaded& loaded,
                                 absl::AnyInvocable<void(absl::StatusOr<Command>) &&> next) {
                   const DocumentKey& key = loaded.document.key;
                   // The domain refuses SCANNED without proof, after authorizing.
                   std::move(next)(approvals::SignOff{
                       request->method(), request->evidence_sha256(), request->evidence_reference(),
                       deadlines_.For(key.year, key.module), EvidenceUploaded(*request)});
                 });
}

grpc::ServerUnaryReactor* ApprovalsService::Reroute(grpc::CallbackServerContext* context,
                                                    const bdtx::v1::RerouteRequest* request,
                                                    bdtx::v1::Document* response) {
  return Execute(
      context, "/bdtx.v1.Approvals/Reroute", *request, request->document(), request->request_id(),
      request->expected_version(), response,
      [this, request, deadline = absl::FromChrono(context->deadline())](
          const Loaded& loaded, absl::AnyInvocable<void(absl::StatusOr<Command>) &&> next) {
        FetchRouting(loaded.document.key, deadline,
                     [reason = request->reason(),
                      next = std::move(next)](absl::StatusOr<bdtx::v1::Routing> routing) mutable {
                       if (!routing.ok()) return std::move(next)(routing.status());
                       std::move(next)(approvals::Reroute{*std::move(routing), reason});
                     });
      });
}

bool ApprovalsService::EvidenceUploaded(const bdtx::v1::SignOffRequest& request) const {
  return request.method() == bdtx::v1::SCANNED &&
         auth::VerifyAttachmentReceipt(token_->secret(), request.document(),
                                       request.evidence_sha256(), request.evidence_receipt());
}

void ApprovalsService::FetchRouting(
    const DocumentKey& key, absl::Time caller_deadline,
    absl::AnyInvocable<void(absl::StatusOr<bdtx::v1::Routing>) &&> done) {
  struct Call {
    grpc::ClientContext context;
    bdtx::v1::RouteDocumentRequest request;
    bdtx::v1::Routing response;
    // gRPC callbacks must be copyable: the move-only continuation lives here.
    absl::AnyInvocable<void(absl::StatusOr<bdtx::v1::Routing>) &&> done;
  };
  auto call = std::make_shared<Call>();
  call->done = std::move(done);
  absl::StatusOr<std::string> token = token_->Get();
  if (!token.ok()) return std::move(call->done)(token.status());
  call->context.AddMetadata("authorization", "Bearer " + *token);
  // Within the caller's deadline, so a hung directory is answered UNAVAILABLE naming it
  // before the caller gives up (and no call outlives its caller).
  const absl::Time now = absl::Now();
  const absl::Time deadline = clients::PeerDeadlineScope(caller_deadline).PeerDeadline(now);
  if (deadline <= now) {
    return std::move(call->done)(absl::UnavailableError(
        "no time is left before the caller's deadline to ask the directory for the routing"));
  }
  call->context.set_deadline(absl::ToChronoTime(deadline));
  call->request.set_author(key.author);
  call->request.set_kind(key.kind);
  call->request.set_year(key.year);
  call->request.set_module(key.module);
  directory_->async()->RouteDocument(
      &call->context, &call->request, &call->response,
      // The answer arrives on a gRPC thread: keep logging under this call's span.
      server::BindTrace([call](grpc::Status status) {
        if (status.ok()) return std::move(call->done)(std::move(call->response));
        absl::Status s = FromGrpcStatus(status);
        if (s.code() == absl::StatusCode::kUnavailable ||
            s.code() == absl::StatusCode::kDeadlineExceeded) {
          s = absl::UnavailableError(
              absl::StrCat("the directory cannot route this document now: ", s.message()));
        }
        std::move(call->done)(s);
      }));
}

absl::Status ApprovalsService::MayRead(const grpc::CallbackServerContext& context,
                                       const bdtx::v1::Document& document) {
  ASSIGN_OR_RETURN(auth::Subject subject, auth::SubjectFromContext(context));
  return MayRead(subject, document.name(), document.author(), document.routing());
}

absl::Status ApprovalsService::MayRead(const auth::Subject& subject, const std::string& name,
                                       const std::string& author,
                                       const bdtx::v1::Routing& routing) {
  const Actor actor = ActorOf(subject);
  // The routed lecturer and signers read while they hold the role now (ADR 012), as
  // they act: a name recorded at submission alone does not let a demoted or moved
  // person go on reading.
  if (actor.person == author || IsRoutedLecturer(routing, actor) ||
      IsRoutedSigner(routing, actor)) {
    return absl::OkStatus();
  }
  auth::ResourceScope scope{
      {routing.author_unit_ancestry().begin(), routing.author_unit_ancestry().end()}, author};
  // Authorize's own message names the author's unit: refuse with the message a
  // document that does not exist gets, so a stranger learns nothing from either.
  if (!auth::Authorize(subject, auth::Action::kRead, scope).ok()) {
    return auth::NotVisible(subject, name);
  }
  return absl::OkStatus();
}

absl::Status ApprovalsService::MayCommand(const auth::Subject& subject, const Document& document) {
  if (document.version == 0) {  // a draft approvals has never seen: its author's alone
    if (subject.name == document.key.author || subject.IsService() ||
        subject.HasRole(bdtx::v1::SYSTEM_ADMIN)) {
      return absl::OkStatus();
    }
    return auth::NotVisible(subject, document.key.Name());
  }
  return MayRead(subject, document.key.Name(), document.key.author, document.routing);
}

absl::Status ApprovalsService::Absent(const grpc::CallbackServerContext& context,
                                      const DocumentKey& key, const absl::Status& not_found) {
  ASSIGN_OR_RETURN(auth::Subject subject, auth::SubjectFromContext(context));
  if (auth::MayLearnAbsence(subject, key.author)) return not_found;
  return auth::NotVisible(subject, key.Name());
}

absl::Status ApprovalsService::MaySeeUnit(const grpc::CallbackServerContext& context,
                                          const std::string& unit) {
  ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(context));
  // Dashboards: the unit's own officers and leaders (and admins, services, the ministry).
  return auth::Authorize(subject, auth::Action::kRead, auth::ResourceScope{{unit}, ""});
}

grpc::ServerUnaryReactor* ApprovalsService::GetDocument(grpc::CallbackServerContext* context,
                                                        const bdtx::v1::GetDocumentRequest* request,
                                                        bdtx::v1::Document* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto key, ParseDocumentName(request->name()));
    if (auto s = auth::SubjectFromContext(*context); !s.ok()) return s.status();
    auto doc = store_->GetSummary(request->name());
    if (absl::IsNotFound(doc.status())) {
      // Never submitted: a draft, visible to its author.
      auto subject = auth::SubjectFromContext(*context);
      if (subject->name != key.author && !subject->HasRole(bdtx::v1::SYSTEM_ADMIN)) {
        return Absent(*context, key, doc.status());
      }
      response->set_name(request->name());
      response->set_author(key.author);
      response->set_kind(key.kind);
      response->set_year(key.year);
      response->set_module(key.module);
      response->set_state(bdtx::v1::DRAFT);
      return absl::OkStatus();
    }
    if (!doc.ok()) return doc.status();
    RETURN_IF_ERROR(MayRead(*context, *doc));
    *response = *std::move(doc);
    return absl::OkStatus();
  });
}

absl::StatusOr<DocumentKey> ApprovalsService::ReadableDocument(
    const grpc::CallbackServerContext& context, const std::string& name) {
  ASSIGN_OR_RETURN(auto key, ParseDocumentName(name));
  auto doc = store_->GetSummary(name);
  if (absl::IsNotFound(doc.status())) return Absent(context, key, doc.status());
  if (!doc.ok()) return doc.status();
  RETURN_IF_ERROR(MayRead(context, *doc));
  return key;
}

grpc::ServerUnaryReactor* ApprovalsService::ListHistory(grpc::CallbackServerContext* context,
                                                        const bdtx::v1::ListHistoryRequest* request,
                                                        bdtx::v1::ListHistoryResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto key, ReadableDocument(*context, request->document()));
    ASSIGN_OR_RETURN(auto history, store_->History(key));
    for (auto& e : history) *response->add_entries() = std::move(e);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ApprovalsService::ListInbox(grpc::CallbackServerContext* context,
                                                      const bdtx::v1::ListInboxRequest* request,
                                                      bdtx::v1::ListInboxResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    ASSIGN_OR_RETURN(auto page, store_->Inbox(subject.name, subject.unit, subject.roles,
                                              request->page_size(), request->page_token()));
    for (auto& d : page.items) {
      // The inbox index names whoever had to act when the document last changed: one who
      // has since lost the role (or moved) may no longer read it (ADR 012).
      if (!MayRead(subject, d.name(), d.author(), d.routing()).ok()) continue;
      *response->add_documents() = std::move(d);
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ApprovalsService::ListDocuments(
    grpc::CallbackServerContext* context, const bdtx::v1::ListDocumentsRequest* request,
    bdtx::v1::ListDocumentsResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    RETURN_IF_ERROR(MaySeeUnit(*context, request->unit()));
    ASSIGN_OR_RETURN(auto page, store_->ListByUnit(*request));
    for (auto& d : page.items) *response->add_documents() = std::move(d);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ApprovalsService::CountDocuments(
    grpc::CallbackServerContext* context, const bdtx::v1::CountDocumentsRequest* request,
    bdtx::v1::CountDocumentsResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    if (request->unit().empty()) return absl::InvalidArgumentError("unit is required");
    RETURN_IF_ERROR(MaySeeUnit(*context, request->unit()));
    ASSIGN_OR_RETURN(auto counts, store_->CountByState(request->unit()));
    for (const auto& [state, n] : counts) (*response->mutable_by_state())[state] = n;
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ApprovalsService::VerifyChain(grpc::CallbackServerContext* context,
                                                        const bdtx::v1::VerifyChainRequest* request,
                                                        bdtx::v1::VerifyChainResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto key, ReadableDocument(*context, request->document()));
    ASSIGN_OR_RETURN(*response, store_->VerifyChain(key));
    return absl::OkStatus();
  });
}

}  // namespace bdtx::approvals
