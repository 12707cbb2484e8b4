// gRPC adapter of grading: decode, authenticate, resolve directory facts (on worker
// threads: those calls block), decide on the model, persist, encode.
#ifndef BDTX_SERVICES_GRADING_API_GRADING_SERVICE_H_
#define BDTX_SERVICES_GRADING_API_GRADING_SERVICE_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "common/auth/service_token.h"
#include "common/auth/subject.h"
#include "common/clients/directory_client.h"
#include "common/clock/clock.h"
#include "common/server/work_queue.h"
#include "services/grading/store/grading_store.h"

namespace bdtx::grading {

using clients::DirectoryClient;

// The class, its learners and the units above them, as enrolment needs them.
absl::StatusOr<ClassFacts> ClassFactsOf(DirectoryClient& directory, const std::string& class_name);

class GradingService final : public bdtx::v1::Grading::CallbackService {
 public:
  // None is owned; all must outlive the service.
  GradingService(GradingStore* store, DirectoryClient* directory, const Clock* clock)
      : store_(store), directory_(directory), clock_(clock), workers_(4) {}

  grpc::ServerUnaryReactor* EnrollClass(grpc::CallbackServerContext* context,
                                        const bdtx::v1::EnrollClassRequest* request,
                                        bdtx::v1::Run* response) override;
  grpc::ServerUnaryReactor* GetRun(grpc::CallbackServerContext* context,
                                   const bdtx::v1::GetRunRequest* request,
                                   bdtx::v1::Run* response) override;
  grpc::ServerUnaryReactor* SubmitAssignment(grpc::CallbackServerContext* context,
                                             const bdtx::v1::SubmitAssignmentRequest* request,
                                             bdtx::v1::Assignment* response) override;
  grpc::ServerUnaryReactor* Grade(grpc::CallbackServerContext* context,
                                  const bdtx::v1::GradeRequest* request,
                                  bdtx::v1::Assignment* response) override;
  grpc::ServerUnaryReactor* GrantExtension(grpc::CallbackServerContext* context,
                                           const bdtx::v1::GrantExtensionRequest* request,
                                           bdtx::v1::Run* response) override;
  grpc::ServerUnaryReactor* Review(grpc::CallbackServerContext* context,
                                   const bdtx::v1::ReviewRequest* request,
                                   bdtx::v1::Assignment* response) override;
  grpc::ServerUnaryReactor* GetAssignment(grpc::CallbackServerContext* context,
                                          const bdtx::v1::GetAssignmentRequest* request,
                                          bdtx::v1::Assignment* response) override;
  grpc::ServerUnaryReactor* ImportLmsResults(grpc::CallbackServerContext* context,
                                             const bdtx::v1::ImportLmsResultsRequest* request,
                                             bdtx::v1::ImportLmsResultsResponse* response) override;
  grpc::ServerUnaryReactor* GetCompletion(grpc::CallbackServerContext* context,
                                          const bdtx::v1::GetCompletionRequest* request,
                                          bdtx::v1::GetCompletionResponse* response) override;
  grpc::ServerUnaryReactor* ListStatistics(grpc::CallbackServerContext* context,
                                           const bdtx::v1::ListStatisticsRequest* request,
                                           bdtx::v1::ListStatisticsResponse* response) override;
  grpc::ServerUnaryReactor* GetSupportCounts(grpc::CallbackServerContext* context,
                                             const bdtx::v1::SupportCountsRequest* request,
                                             bdtx::v1::SupportCountsResponse* response) override;
  grpc::ServerUnaryReactor* ExportRecognition(
      grpc::CallbackServerContext* context, const bdtx::v1::ExportRecognitionRequest* request,
      bdtx::v1::ExportRecognitionResponse* response) override;
  grpc::ServerWriteReactor<bdtx::v1::StoredGradingEvent>* SubscribeEvents(
      grpc::CallbackServerContext* context,
      const bdtx::v1::SubscribeGradingEventsRequest* request) override;

 private:
  // Runs `work` (returning absl::Status) on a worker thread and finishes the call.
  template <typename Work>
  grpc::ServerUnaryReactor* OnWorker(grpc::CallbackServerContext* context, Work work);
  // Reads about a person (completion, support counts): themselves, services, admins,
  // the ministry, and officers/leaders above the person's home unit.
  absl::Status MayReadPerson(const auth::Subject& subject, const std::string& person);
  // OK when `subject` may import LMS results for every learner of `rows` (services,
  // admins; a Sở for learners of its province); otherwise PERMISSION_DENIED naming one.
  absl::Status MayImportLmsFor(const auth::Subject& subject,
                               const std::vector<bdtx::v1::LmsRow>& rows);
  // Reads of a class's run (GetRun): its graders; admins, services, the ministry and the
  // officers/leaders of the unit running it or above; the lecturer the directory assigns
  // to one of its graders (core members) for the run's year and module. Otherwise
  // PERMISSION_DENIED.
  absl::Status MayReadRun(const auth::Subject& subject, const bdtx::v1::Run& run);
  // Reads of an assignment (GetAssignment): the class's graders, the lecturer assigned
  // to its grader or who reviewed it, then as MayReadPerson of the learner; otherwise
  // NotVisible. Blocking (directory): worker threads only.
  absl::Status MayReadAssignment(const auth::Subject& subject, const bdtx::v1::Assignment& a,
                                 const std::string& name);
  // What a command's refusal (PERMISSION_DENIED or NOT_FOUND) may tell: everything to a
  // caller who may read `resource` (an assignment "classes/{c}/assignments/{l}", else a
  // class), else only auth::NotVisible, so a stranger learns neither that a class is
  // enrolled nor who grades it (issue 22). Other statuses pass. Blocking: workers only.
  absl::Status Refusal(const auth::Subject& subject, const std::string& resource,
                       absl::Status status);
  // Finishes `reactor` with `status`, passed through Refusal on a worker when refused.
  void FinishRefusing(grpc::ServerUnaryReactor* reactor, const auth::Subject& subject,
                      std::string resource, absl::Status status);
  // Whether `subject` is a lecturer and the directory's lecturer of `core_member`.
  absl::StatusOr<bool> IsLecturerOf(const auth::Subject& subject, const std::string& core_member,
                                    int year, int module);
  absl::StatusOr<std::string> Export(const bdtx::v1::ExportRecognitionRequest& request, int* rows);

  GradingStore* const store_;
  DirectoryClient* const directory_;
  const Clock* const clock_;
  server::WorkQueue workers_;
};

}  // namespace bdtx::grading

#endif  // BDTX_SERVICES_GRADING_API_GRADING_SERVICE_H_
