// gRPC adapter of approvals: decode, authenticate, load the document, ask the domain
// (Decide), persist (one atomic append with read models), encode. Routing comes from the
// directory service at the first submission.
#ifndef BDTX_SERVICES_APPROVALS_API_APPROVALS_SERVICE_H_
#define BDTX_SERVICES_APPROVALS_API_APPROVALS_SERVICE_H_

#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "common/auth/jwt.h"
#include "common/auth/service_token.h"
#include "common/auth/subject.h"
#include "common/clock/clock.h"
#include "services/approvals/store/approvals_store.h"

namespace bdtx::approvals {

using auth::ServiceToken;

class ApprovalsService final : public bdtx::v1::Approvals::CallbackService {
 public:
  // None is owned; all must outlive the service.
  ApprovalsService(ApprovalsStore* store, bdtx::v1::Directory::StubInterface* directory,
                   ServiceToken* token, Deadlines deadlines, const Clock* clock)
      : store_(store),
        directory_(directory),
        token_(token),
        deadlines_(std::move(deadlines)),
        clock_(clock) {}

  grpc::ServerUnaryReactor* Submit(grpc::CallbackServerContext* context,
                                   const bdtx::v1::SubmitRequest* request,
                                   bdtx::v1::Document* response) override;
  grpc::ServerUnaryReactor* Approve(grpc::CallbackServerContext* context,
                                    const bdtx::v1::ApproveRequest* request,
                                    bdtx::v1::Document* response) override;
  grpc::ServerUnaryReactor* Return(grpc::CallbackServerContext* context,
                                   const bdtx::v1::ReturnRequest* request,
                                   bdtx::v1::Document* response) override;
  grpc::ServerUnaryReactor* SignOff(grpc::CallbackServerContext* context,
                                    const bdtx::v1::SignOffRequest* request,
                                    bdtx::v1::Document* response) override;
  grpc::ServerUnaryReactor* Reroute(grpc::CallbackServerContext* context,
                                    const bdtx::v1::RerouteRequest* request,
                                    bdtx::v1::Document* response) override;
  grpc::ServerUnaryReactor* GetDocument(grpc::CallbackServerContext* context,
                                        const bdtx::v1::GetDocumentRequest* request,
                                        bdtx::v1::Document* response) override;
  grpc::ServerUnaryReactor* ListHistory(grpc::CallbackServerContext* context,
                                        const bdtx::v1::ListHistoryRequest* request,
                                        bdtx::v1::ListHistoryResponse* response) override;
  grpc::ServerUnaryReactor* ListInbox(grpc::CallbackServerContext* context,
                                      const bdtx::v1::ListInboxRequest* request,
                                      bdtx::v1::ListInboxResponse* response) override;
  grpc::ServerUnaryReactor* ListDocuments(grpc::CallbackServerContext* context,
                                          const bdtx::v1::ListDocumentsRequest* request,
                                          bdtx::v1::ListDocumentsResponse* response) override;
  grpc::ServerUnaryReactor* CountDocuments(grpc::CallbackServerContext* context,
                                           const bdtx::v1::CountDocumentsRequest* request,
                                           bdtx::v1::CountDocumentsResponse* response) override;
  grpc::ServerUnaryReactor* VerifyChain(grpc::CallbackServerContext* context,
                                        const bdtx::v1::VerifyChainRequest* request,
                                        bdtx::v1::VerifyChainResponse* response) override;
  grpc::ServerWriteReactor<bdtx::v1::StoredEvent>* SubscribeEvents(
      grpc::CallbackServerContext* context,
      const bdtx::v1::SubscribeEventsRequest* request) override;

 private:
  // Shared path of every command: authenticate, load, authorize for the document,
  // replay check (request_id bound to caller, `method` and `request`), expected version,
  // build the command (which may need the directory), decide, commit, finish.
  using CommandBuilder =
      absl::AnyInvocable<void(const Loaded&,
                              absl::AnyInvocable<void(absl::StatusOr<Command>) &&>) &&>;
  grpc::ServerUnaryReactor* Execute(grpc::CallbackServerContext* context, const char* method,
                                    const google::protobuf::Message& request,
                                    const std::string& document, const std::string& request_id,
                                    int64_t expected_version, bdtx::v1::Document* response,
                                    CommandBuilder build);
  // Who may command a document at all (the domain then decides the command itself):
  // whoever may read it; a never-submitted draft only its author (and admins).
  absl::Status MayCommand(const auth::Subject& subject, const Document& document);
  // True when a SCANNED sign-off carries plans' receipt for its document and sha256
  // (ADR 013); the domain refuses SCANNED without it.
  bool EvidenceUploaded(const bdtx::v1::SignOffRequest& request) const;
  // Read access to a document: its author, routed people, and units above the author.
  absl::Status MayRead(const grpc::CallbackServerContext& context,
                       const bdtx::v1::Document& document);
  // Refusals are auth::NotVisible, the same as for a document that does not exist.
  absl::Status MayRead(const auth::Subject& subject, const std::string& name,
                       const std::string& author, const bdtx::v1::Routing& routing);
  // `not_found` for a document approvals has never seen, if the caller may learn that
  // (auth::MayLearnAbsence); otherwise auth::NotVisible, as for one they may not read.
  absl::Status Absent(const grpc::CallbackServerContext& context, const DocumentKey& key,
                      const absl::Status& not_found);
  // The key of a submitted document the caller may read.
  absl::StatusOr<DocumentKey> ReadableDocument(const grpc::CallbackServerContext& context,
                                               const std::string& name);
  // Dashboards of a unit: its own officers and leaders, admins, services, the ministry.
  absl::Status MaySeeUnit(const grpc::CallbackServerContext& context, const std::string& unit);
  // Asks the directory for the routing of `key`, giving up before `caller_deadline`
  // (UNAVAILABLE naming the directory); `done` runs on a gRPC thread.
  void FetchRouting(const DocumentKey& key, absl::Time caller_deadline,
                    absl::AnyInvocable<void(absl::StatusOr<bdtx::v1::Routing>) &&> done);

  ApprovalsStore* const store_;
  bdtx::v1::Directory::StubInterface* const directory_;
  ServiceToken* const token_;
  const Deadlines deadlines_;
  const Clock* const clock_;
};

}  // namespace bdtx::approvals

#endif  // BDTX_SERVICES_APPROVALS_API_APPROVALS_SERVICE_H_
