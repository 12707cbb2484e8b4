// gRPC adapter of notifications: the inbox (list, mark read, watch live), preferences,
// and the operators' view of dead letters and the pipeline.
#ifndef BDTX_SERVICES_NOTIFICATIONS_API_NOTIFICATIONS_SERVICE_H_
#define BDTX_SERVICES_NOTIFICATIONS_API_NOTIFICATIONS_SERVICE_H_

#include "absl/synchronization/mutex.h"
#include "bdtx/v1/notifications.grpc.pb.h"
#include "common/auth/subject.h"
#include "common/clock/clock.h"
#include "common/server/work_queue.h"
#include "services/notifications/api/pipeline.h"
#include "services/notifications/store/notifications_store.h"

namespace bdtx::notifications {

class NotificationsService final : public bdtx::v1::Notifications::CallbackService {
 public:
  // None is owned; all must outlive the service.
  NotificationsService(NotificationsStore* store, Pipeline* pipeline, const Clock* clock)
      : store_(store), pipeline_(pipeline), clock_(clock) {}

  grpc::ServerUnaryReactor* ListNotifications(
      grpc::CallbackServerContext* context, const bdtx::v1::ListNotificationsRequest* request,
      bdtx::v1::ListNotificationsResponse* response) override;
  grpc::ServerUnaryReactor* MarkRead(grpc::CallbackServerContext* context,
                                     const bdtx::v1::MarkReadRequest* request,
                                     bdtx::v1::MarkReadResponse* response) override;
  grpc::ServerWriteReactor<bdtx::v1::Notification>* WatchNotifications(
      grpc::CallbackServerContext* context,
      const bdtx::v1::WatchNotificationsRequest* request) override;
  grpc::ServerUnaryReactor* GetPreferences(grpc::CallbackServerContext* context,
                                           const bdtx::v1::GetPreferencesRequest* request,
                                           bdtx::v1::Preferences* response) override;
  grpc::ServerUnaryReactor* SetPreferences(grpc::CallbackServerContext* context,
                                           const bdtx::v1::SetPreferencesRequest* request,
                                           bdtx::v1::Preferences* response) override;
  // A new secret for a personal webhook (shown once); the old one signs too for 24 h.
  grpc::ServerUnaryReactor* RotateWebhookSecret(
      grpc::CallbackServerContext* context, const bdtx::v1::RotateWebhookSecretRequest* request,
      bdtx::v1::RotateWebhookSecretResponse* response) override;
  grpc::ServerUnaryReactor* ListDeadLetters(grpc::CallbackServerContext* context,
                                            const bdtx::v1::ListDeadLettersRequest* request,
                                            bdtx::v1::ListDeadLettersResponse* response) override;
  grpc::ServerUnaryReactor* ReplayDeadLetter(grpc::CallbackServerContext* context,
                                             const bdtx::v1::ReplayDeadLetterRequest* request,
                                             bdtx::v1::ReplayDeadLetterResponse* response) override;
  // Services only (the directory): e-mails a sign-in activation code now (rules.h
  // ActivationCodeEmail), never storing or logging it.
  grpc::ServerUnaryReactor* SendActivationCode(
      grpc::CallbackServerContext* context, const bdtx::v1::SendActivationCodeRequest* request,
      bdtx::v1::SendActivationCodeResponse* response) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const bdtx::v1::GetStatusRequest* request,
                                      bdtx::v1::GetStatusResponse* response) override;

 private:
  class WatchReactor;
  absl::Status SetPreferencesNow(grpc::CallbackServerContext& context,
                                 const bdtx::v1::SetPreferencesRequest& request,
                                 bdtx::v1::Preferences* response);

  NotificationsStore* const store_;
  Pipeline* const pipeline_;
  const Clock* const clock_;
  absl::Mutex preferences_mu_;          // serialises read-modify-writes of stored webhook keys
  server::WorkQueue lookups_{2};        // SetPreferences: URL checks that resolve DNS
  server::WorkQueue mail_now_{2, 100};  // SendActivationCode: the SMTP exchange
};

// The inbox `subject` may read: their own, or their unit's when they are an officer,
// leader or principal of it, or any for system admins and services.
absl::StatusOr<std::string> InboxOf(const auth::Subject& subject, const std::string& requested);

}  // namespace bdtx::notifications

#endif  // BDTX_SERVICES_NOTIFICATIONS_API_NOTIFICATIONS_SERVICE_H_
