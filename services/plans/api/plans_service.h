// gRPC adapter of plans: decode, authenticate, ask the directory, approvals and grading
// what the rules need (on worker threads: those calls block), decide with the domain,
// persist, encode. The approval state is never kept here: approvals owns it.
#ifndef BDTX_SERVICES_PLANS_API_PLANS_SERVICE_H_
#define BDTX_SERVICES_PLANS_API_PLANS_SERVICE_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "bdtx/v1/plans.grpc.pb.h"
#include "bdtx/v1/support.grpc.pb.h"
#include "common/auth/service_token.h"
#include "common/auth/subject.h"
#include "common/clients/directory_client.h"
#include "common/clock/clock.h"
#include "common/server/work_queue.h"
#include "services/plans/domain/support_document.h"
#include "services/plans/store/plans_store.h"

namespace bdtx::plans {

struct PlansOptions {
  int64_t max_attachment_bytes = 10 << 20;  // 10 MiB
  int workers = 32;                         // threads for handlers that wait on other services
};

// The other services plans talks to. None is owned.
struct Peers {
  clients::DirectoryClient* directory = nullptr;
  bdtx::v1::Approvals::StubInterface* approvals = nullptr;
  bdtx::v1::Grading::StubInterface* grading = nullptr;
  // Rows 2.1–2.3 from peer support (issue 21); nullptr: those rows stay as grading and
  // the author leave them.
  bdtx::v1::Support::StubInterface* support = nullptr;
  auth::ServiceToken* token = nullptr;  // this service's own token (reads)
};

class PlansService final : public bdtx::v1::Plans::CallbackService {
 public:
  // None is owned; all must outlive the service.
  PlansService(PlansStore* store, AttachmentBlobs* blobs, Peers peers, const Clock* clock,
               PlansOptions options = {})
      : store_(store),
        blobs_(blobs),
        peers_(peers),
        clock_(clock),
        options_(options),
        workers_(options.workers) {}

  grpc::ServerUnaryReactor* CreatePlan(grpc::CallbackServerContext* context,
                                       const bdtx::v1::CreatePlanRequest* request,
                                       bdtx::v1::SupportDocument* response) override;
  grpc::ServerUnaryReactor* CreateReport(grpc::CallbackServerContext* context,
                                         const bdtx::v1::CreateReportRequest* request,
                                         bdtx::v1::SupportDocument* response) override;
  grpc::ServerUnaryReactor* GetDocument(grpc::CallbackServerContext* context,
                                        const bdtx::v1::GetSupportDocumentRequest* request,
                                        bdtx::v1::SupportDocument* response) override;
  grpc::ServerUnaryReactor* UpdateDocument(grpc::CallbackServerContext* context,
                                           const bdtx::v1::UpdateSupportDocumentRequest* request,
                                           bdtx::v1::SupportDocument* response) override;
  grpc::ServerUnaryReactor* RefreshReportCounts(grpc::CallbackServerContext* context,
                                                const bdtx::v1::RefreshReportCountsRequest* request,
                                                bdtx::v1::SupportDocument* response) override;
  grpc::ServerUnaryReactor* SubmitDocument(grpc::CallbackServerContext* context,
                                           const bdtx::v1::SubmitSupportDocumentRequest* request,
                                           bdtx::v1::SupportDocument* response) override;
  grpc::ServerUnaryReactor* ListVersions(grpc::CallbackServerContext* context,
                                         const bdtx::v1::ListVersionsRequest* request,
                                         bdtx::v1::ListVersionsResponse* response) override;
  grpc::ServerUnaryReactor* ListDocuments(
      grpc::CallbackServerContext* context, const bdtx::v1::ListSupportDocumentsRequest* request,
      bdtx::v1::ListSupportDocumentsResponse* response) override;
  grpc::ServerReadReactor<bdtx::v1::UploadAttachmentRequest>* UploadAttachment(
      grpc::CallbackServerContext* context, bdtx::v1::Attachment* response) override;
  grpc::ServerWriteReactor<bdtx::v1::AttachmentChunk>* DownloadAttachment(
      grpc::CallbackServerContext* context,
      const bdtx::v1::DownloadAttachmentRequest* request) override;
  grpc::ServerUnaryReactor* RenderDocument(grpc::CallbackServerContext* context,
                                           const bdtx::v1::RenderDocumentRequest* request,
                                           bdtx::v1::RenderedDocument* response) override;
  grpc::ServerUnaryReactor* GetEligibility(grpc::CallbackServerContext* context,
                                           const bdtx::v1::GetEligibilityRequest* request,
                                           bdtx::v1::Eligibility* response) override;
  grpc::ServerUnaryReactor* ListEligibility(grpc::CallbackServerContext* context,
                                            const bdtx::v1::ListEligibilityRequest* request,
                                            bdtx::v1::ListEligibilityResponse* response) override;

 private:
  class UploadReactor;
  class DownloadReactor;

  // Runs `work` (absl::Status(const auth::Subject&)) on a worker thread with the caller
  // authenticated, and finishes the call with its result.
  template <typename Work>
  grpc::ServerUnaryReactor* OnWorker(grpc::CallbackServerContext* context, Work work);

  // The approvals view of `name` (with this service's token); a document approvals has
  // never seen reads as DRAFT.
  absl::StatusOr<bdtx::v1::Document> ApprovalOf(const std::string& name);
  // Grading's counts for a report of `key`.
  absl::StatusOr<bdtx::v1::SupportCountsResponse> CountsOf(const DocumentKey& key);
  // Puts the support service's rows 2.1–2.3 into `report` (nothing without a support peer).
  absl::Status AddSupportCounts(const DocumentKey& key, bdtx::v1::DocumentContent& report);
  // Who may read a document: its author, services, admins, the ministry, officers and
  // principals above the author, and the lecturer and signer approvals routed it to.
  absl::Status MayRead(const auth::Subject& subject, const LoadedDocument& doc,
                       const bdtx::v1::Document& approval);
  // Reading about a person (eligibility, their list): themselves, or above them.
  absl::Status MayReadPerson(const auth::Subject& subject, const std::string& person);
  // The document with its approvals view, when `subject` may read it.
  absl::StatusOr<std::pair<LoadedDocument, bdtx::v1::Document>> LoadReadable(
      const auth::Subject& subject, const std::string& name);
  // Stores `next` as the version after `doc`'s latest (nothing when the content is the
  // same) and answers like GetDocument.
  absl::StatusOr<bdtx::v1::SupportDocument> SaveVersion(
      const std::string& name, const LoadedDocument& doc, bdtx::v1::DocumentContent next,
      std::vector<std::string> paths, const auth::Subject& subject, const std::string& request_id,
      const bdtx::v1::RequestRecord& record, bdtx::v1::DocumentState approval_state);
  // What a command on an existing document gets from Mutate.
  struct Opened {
    const DocumentKey& key;
    const LoadedDocument& doc;
    const bdtx::v1::RequestRecord& record;  // store it with the command's event (Commit)
  };
  // The one opening of every command on an existing document (issue 17): parse the
  // name, only its author (`what` they do, for the message), one writer at a time,
  // load, then (authorized) the request_id check bound to caller, `method`, document
  // and `request` (a retry answers the stored first answer), the expected version; then
  // `body` decides and commits.
  absl::Status Mutate(
      const auth::Subject& subject, const char* method, const google::protobuf::Message& request,
      const std::string& name, const std::string& request_id, int64_t expected_version,
      absl::string_view what, bdtx::v1::SupportDocument* response,
      absl::FunctionRef<absl::StatusOr<bdtx::v1::SupportDocument>(const Opened&)> body);
  absl::StatusOr<AuthorFacts> FactsOf(const DocumentKey& key);
  // Appends `event` under a reservation of the document, then answers like GetDocument
  // at the content version the event produced (with `approval_state` and
  // `approved_sha256`). The answer is stored in `record` unless it already holds one.
  absl::StatusOr<bdtx::v1::SupportDocument> Commit(
      const std::string& name, const LoadedDocument& before, const bdtx::v1::PlansEvent& event,
      const std::string& actor, const std::string& request_id, bdtx::v1::RequestRecord record,
      bdtx::v1::DocumentState approval_state, const std::string& approved_sha256 = "");
  absl::StatusOr<bdtx::v1::SupportDocument> Create(const auth::Subject& subject, const char* method,
                                                   const google::protobuf::Message& request,
                                                   const DocumentKey& key,
                                                   bdtx::v1::DocumentContent content,
                                                   std::vector<std::string> ancestry,
                                                   const std::string& request_id);
  absl::StatusOr<bdtx::v1::Eligibility> EligibilityOf(const std::string& core_member, int year,
                                                      const std::string& display_name);

  PlansStore* const store_;
  AttachmentBlobs* const blobs_;
  const Peers peers_;
  const Clock* const clock_;
  const PlansOptions options_;
  server::WorkQueue workers_;
};

}  // namespace bdtx::plans

#endif  // BDTX_SERVICES_PLANS_API_PLANS_SERVICE_H_
