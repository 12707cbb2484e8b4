// gRPC adapter of peer support: authenticate, authorize (before any request_id lookup),
// resolve directory facts on worker threads (those calls block), decide on the model,
// persist, encode. Rules: docs/support.md.
#ifndef BDTX_SERVICES_SUPPORT_API_SUPPORT_SERVICE_H_
#define BDTX_SERVICES_SUPPORT_API_SUPPORT_SERVICE_H_

#include <string>

#include "bdtx/v1/plans.grpc.pb.h"
#include "bdtx/v1/support.grpc.pb.h"
#include "common/auth/service_token.h"
#include "common/auth/subject.h"
#include "common/clients/directory_client.h"
#include "common/clock/clock.h"
#include "common/server/work_queue.h"
#include "services/support/store/support_store.h"

namespace bdtx::support {

class SupportService final : public bdtx::v1::Support::CallbackService {
 public:
  // None is owned; all must outlive the service. `plans` (with the `token` support calls
  // it with) is asked for a core member's plan by GetActivityProgress; without it that
  // read is UNAVAILABLE.
  SupportService(SupportStore* store, clients::DirectoryClient* directory, const Clock* clock,
                 bdtx::v1::Plans::StubInterface* plans = nullptr,
                 auth::ServiceToken* token = nullptr)
      : store_(store),
        directory_(directory),
        clock_(clock),
        plans_(plans),
        token_(token),
        workers_(4) {}

  grpc::ServerUnaryReactor* AskQuestion(grpc::CallbackServerContext* context,
                                        const bdtx::v1::AskQuestionRequest* request,
                                        bdtx::v1::Question* response) override;
  grpc::ServerUnaryReactor* GetQuestion(grpc::CallbackServerContext* context,
                                        const bdtx::v1::GetQuestionRequest* request,
                                        bdtx::v1::Question* response) override;
  grpc::ServerUnaryReactor* ListQuestions(grpc::CallbackServerContext* context,
                                          const bdtx::v1::ListQuestionsRequest* request,
                                          bdtx::v1::ListQuestionsResponse* response) override;
  grpc::ServerUnaryReactor* AnswerQuestion(grpc::CallbackServerContext* context,
                                           const bdtx::v1::AnswerQuestionRequest* request,
                                           bdtx::v1::Question* response) override;
  grpc::ServerUnaryReactor* EscalateQuestion(grpc::CallbackServerContext* context,
                                             const bdtx::v1::EscalateQuestionRequest* request,
                                             bdtx::v1::Question* response) override;
  grpc::ServerUnaryReactor* ResolveQuestion(grpc::CallbackServerContext* context,
                                            const bdtx::v1::ResolveQuestionRequest* request,
                                            bdtx::v1::Question* response) override;
  grpc::ServerUnaryReactor* FollowUpQuestion(grpc::CallbackServerContext* context,
                                             const bdtx::v1::FollowUpQuestionRequest* request,
                                             bdtx::v1::Question* response) override;
  grpc::ServerUnaryReactor* LogActivity(grpc::CallbackServerContext* context,
                                        const bdtx::v1::LogActivityRequest* request,
                                        bdtx::v1::SupportActivity* response) override;
  grpc::ServerUnaryReactor* ListActivities(grpc::CallbackServerContext* context,
                                           const bdtx::v1::ListActivitiesRequest* request,
                                           bdtx::v1::ListActivitiesResponse* response) override;
  grpc::ServerUnaryReactor* GetSupportReportCounts(
      grpc::CallbackServerContext* context, const bdtx::v1::GetSupportReportCountsRequest* request,
      bdtx::v1::SupportReportCounts* response) override;
  grpc::ServerUnaryReactor* GetActivityProgress(grpc::CallbackServerContext* context,
                                                const bdtx::v1::GetActivityProgressRequest* request,
                                                bdtx::v1::ActivityProgress* response) override;
  grpc::ServerUnaryReactor* ListSupportStatistics(
      grpc::CallbackServerContext* context, const bdtx::v1::ListSupportStatisticsRequest* request,
      bdtx::v1::ListSupportStatisticsResponse* response) override;
  grpc::ServerWriteReactor<bdtx::v1::StoredSupportEvent>* SubscribeEvents(
      grpc::CallbackServerContext* context,
      const bdtx::v1::SubscribeSupportEventsRequest* request) override;

 private:
  // A command on an existing question by one of its participants. `decide` gets the
  // model and the caller.
  template <typename Request, typename DecideFn>
  grpc::ServerUnaryReactor* QuestionCommand(grpc::CallbackServerContext* context,
                                            const char* method, const Request* request,
                                            bdtx::v1::Question* response, DecideFn decide);
  // Reading what belongs to a core member (their activity log, their report counts): the
  // core member, their lecturer, services, and officers above the core member's unit.
  absl::Status MayReadCoreMember(const auth::Subject& subject, const std::string& core_member,
                                 int year, int module);
  // The plan of `core_member` for year and module as last submitted (else the latest
  // draft), from plans; NOT_FOUND when there is none.
  absl::StatusOr<bdtx::v1::SupportDocument> PlanOf(const std::string& core_member, int year,
                                                   int module);

  SupportStore* const store_;
  clients::DirectoryClient* const directory_;
  const Clock* const clock_;
  bdtx::v1::Plans::StubInterface* const plans_;
  auth::ServiceToken* const token_;
  server::WorkQueue workers_;
};

}  // namespace bdtx::support

#endif  // BDTX_SERVICES_SUPPORT_API_SUPPORT_SERVICE_H_
