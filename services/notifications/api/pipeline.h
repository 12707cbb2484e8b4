// The moving parts of notifications: one consumer per source stream (approvals, grading)
// resuming from its durable checkpoint, the reminder-timer loop, and the delivery loop
// that hands due jobs to one worker pool per channel (a dead SMTP server or webhook only
// ever occupies its own channel's workers). Retries back off exponentially with jitter;
// after `max_attempts` a job becomes a dead letter.
#ifndef BDTX_SERVICES_NOTIFICATIONS_API_PIPELINE_H_
#define BDTX_SERVICES_NOTIFICATIONS_API_PIPELINE_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "bdtx/v1/notifications.pb.h"
#include "bdtx/v1/support.grpc.pb.h"
#include "common/auth/service_token.h"
#include "common/campaign/deadlines.h"
#include "common/clients/directory_client.h"
#include "common/clock/clock.h"
#include "common/server/work_queue.h"
#include "prometheus/metric_family.h"
#include "services/notifications/delivery/net.h"
#include "services/notifications/store/notifications_store.h"

namespace bdtx::notifications {

struct PipelineOptions {
  SmtpConfig smtp;  // smtp.url empty: no e-mail
  std::string mail_from = "bdtx@localhost.localdomain";
  std::string webhook_url;  // every notification is also POSTed here (other systems)
  // The operator's secrets of the system webhook ("whsec_..."; the first is current,
  // more sign too during a rotation).
  std::vector<std::string> webhook_secrets;
  std::string webhook_ca_file;           // PEM CA bundle for https webhooks; empty: system
  std::vector<std::string> allow_hosts;  // personal webhook hosts allowed http and any address
  int max_attempts = 8;
  absl::Duration base_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(10);
  absl::Duration delivery_timeout = absl::Seconds(10);
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration poll_interval = absl::Milliseconds(100);
  Deadlines deadlines;
};

class Pipeline {
 public:
  // None is owned; all must outlive the pipeline. Stubs may be null (source not followed).
  Pipeline(NotificationsStore* store, clients::DirectoryClient* directory,
           bdtx::v1::Approvals::StubInterface* approvals, bdtx::v1::Grading::StubInterface* grading,
           auth::ServiceToken* token, const Clock* clock, PipelineOptions options);
  ~Pipeline();

  // The delivery jobs for a notification: e-mail when configured and wanted (the address
  // from the directory), the person's own webhook, the system webhook.
  std::vector<bdtx::v1::DeliveryJob> Plan(const bdtx::v1::Notification& n);

  // Also follow the support service's stream (questions; issue 21) and ask it about
  // due-soon reminders. Not owned. REQUIRES: before Start().
  void SetSupport(bdtx::v1::Support::StubInterface* support) { support_ = support; }

  // Sends `n` to `to` by e-mail now, on the caller's thread (blocks up to the SMTP
  // timeouts): no job, no retry, nothing stored — for secrets such as activation codes.
  // FAILED_PRECONDITION when e-mail is not configured, INVALID_ARGUMENT for an address
  // common/mail refuses, UNAVAILABLE when the relay does not take it.
  absl::Status SendEmailNow(const std::string& to, const bdtx::v1::Notification& n);

  absl::Status Start();  // sets the campaign timers, starts the threads
  void Stop();           // idempotent; joins everything

  bdtx::v1::GetStatusResponse Status();

  // Hosts personal webhooks may use with http and any address (operator allow-list).
  const std::vector<std::string>& allow_hosts() const { return options_.allow_hosts; }

 private:
  struct Source {
    std::string name;
    std::atomic<bool> connected{false};
    absl::Mutex mu;
    std::string last_error ABSL_GUARDED_BY(mu);
    grpc::ClientContext* context ABSL_GUARDED_BY(mu) = nullptr;
  };
  void FollowApprovals();
  void FollowGrading();
  void FollowSupport();
  // The reminder of a SUPPORT_QUESTION_DUE_SOON timer, from the question as the support
  // service has it; UNAVAILABLE (the timer stays due) when it cannot be asked.
  absl::StatusOr<std::vector<bdtx::v1::Notification>> SupportReminder(const bdtx::v1::Timer& t);
  // Reconnects with a growing pause until stopped; `follow` reads until the stream ends.
  void Follow(Source& source, const std::function<absl::Status(grpc::ClientContext&)>& follow);
  void TimerLoop();
  void DeliveryLoop();
  void Attempt(const std::string& key, bdtx::v1::DeliveryJob job);
  absl::Status Send(const bdtx::v1::DeliveryJob& job);
  absl::Status SendWebhook(const bdtx::v1::DeliveryJob& job, absl::Time now);
  // The display name of a person ("people/x") from the directory, or `name` itself when
  // it is not a person or the directory cannot say.
  std::string NameOf(const std::string& name);
  bool Sleep(absl::Duration d);  // false when stopping

  NotificationsStore* const store_;
  clients::DirectoryClient* const directory_;
  bdtx::v1::Approvals::StubInterface* const approvals_;
  bdtx::v1::Grading::StubInterface* const grading_;
  auth::ServiceToken* const token_;
  const Clock* const clock_;
  const PipelineOptions options_;

  bdtx::v1::Support::StubInterface* support_ = nullptr;
  Source approvals_source_, grading_source_, support_source_;
  absl::Notification stopping_;
  std::atomic<bool> stopped_{false};
  std::vector<std::thread> threads_;
  std::unique_ptr<server::WorkQueue> email_workers_, webhook_workers_;
  absl::Mutex in_flight_mu_;
  absl::flat_hash_set<std::string> in_flight_ ABSL_GUARDED_BY(in_flight_mu_);
};

// GetStatus as Prometheus gauges (bdtx_notifications_*; docs/operations.md).
std::vector<prometheus::MetricFamily> StatusMetrics(const bdtx::v1::GetStatusResponse& status);

}  // namespace bdtx::notifications

#endif  // BDTX_SERVICES_NOTIFICATIONS_API_PIPELINE_H_
