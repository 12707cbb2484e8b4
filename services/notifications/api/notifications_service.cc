#include "services/notifications/api/notifications_service.h"

#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/idempotency/idempotency.h"
#include "common/server/event_stream.h"
#include "common/server/logging.h"
#include "common/server/trace.h"
#include "common/server/unary.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/text/unicode.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "services/notifications/delivery/signature.h"
#include "services/notifications/delivery/webhook_url.h"
#include "services/notifications/domain/rules.h"

namespace bdtx::notifications {
namespace {

namespace v1 = ::bdtx::v1;
using server::FinishUnary;

bool IsOperator(const auth::Subject& s) { return s.IsService() || s.HasRole(v1::SYSTEM_ADMIN); }

constexpr char kSetPreferencesMethod[] = "/bdtx.v1.Notifications/SetPreferences";
constexpr char kRotateWebhookSecretMethod[] = "/bdtx.v1.Notifications/RotateWebhookSecret";

// AIP-154: the version of a person's stored preferences, "p-" + 16 hex digits of the
// SHA-256 of their stored bytes (webhook keys included, so a rotation changes it too);
// "p-defaults" while nothing is stored.
std::string PreferencesEtag(const std::optional<v1::Preferences>& stored) {
  if (!stored.has_value()) return "p-defaults";
  v1::Preferences p = *stored;
  p.clear_etag();
  std::string bytes;
  google::protobuf::io::StringOutputStream out(&bytes);
  google::protobuf::io::CodedOutputStream coded(&out);
  coded.SetSerializationDeterministic(true);
  p.SerializeToCodedStream(&coded);
  coded.Trim();
  return "p-" + Sha256Hex(bytes).substr(0, 16);
}

// How long a rotated-out webhook secret keeps signing next to the new one.

}  // namespace

absl::StatusOr<std::string> InboxOf(const auth::Subject& subject, const std::string& requested) {
  const std::string inbox = requested.empty() ? subject.name : requested;
  if (!absl::StartsWith(inbox, "people/") && !absl::StartsWith(inbox, "units/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("người nhận '", inbox, "' phải là people/{id} hoặc units/{id}"));
  }
  if (inbox == subject.name || IsOperator(subject)) return inbox;
  if (inbox == subject.unit) {
    for (v1::Role r : {v1::PROVINCE_OFFICER, v1::PROVINCE_LEADER, v1::DISTRICT_OFFICER,
                       v1::DISTRICT_LEADER, v1::PRINCIPAL}) {
      if (subject.HasRole(r)) return inbox;
    }
  }
  return absl::PermissionDeniedError(
      absl::StrCat(subject.name, " không được đọc thông báo của ", inbox));
}

grpc::ServerUnaryReactor* NotificationsService::ListNotifications(
    grpc::CallbackServerContext* context, const v1::ListNotificationsRequest* request,
    v1::ListNotificationsResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    auto inbox = InboxOf(subject, request->recipient());
    if (!inbox.ok()) return inbox.status();
    if (request->page_size() < 0) return absl::InvalidArgumentError("page_size phải >= 0");
    const int page_size = request->page_size() == 0 ? 50 : std::min(request->page_size(), 500);
    int64_t after = 0;
    if (!request->page_token().empty() && !absl::SimpleAtoi(request->page_token(), &after)) {
      return absl::InvalidArgumentError("page_token không phải do dịch vụ này trả về");
    }
    int64_t unread = 0;
    int64_t cursor = 0;
    // One pass over the inbox: the page after the token, and the unread count of all.
    while (true) {
      ASSIGN_OR_RETURN(auto batch, store_->Inbox(*inbox, cursor, 1000));
      for (v1::Notification& n : batch) {
        cursor = n.sequence();
        unread += !n.read();
        if (n.sequence() <= after || (request->unread_only() && n.read())) continue;
        if (response->notifications_size() < page_size) {
          *response->add_notifications() = std::move(n);
        } else if (response->next_page_token().empty()) {
          response->set_next_page_token(
              absl::StrCat(response->notifications(page_size - 1).sequence()));
        }
      }
      if (batch.size() < 1000) break;
    }
    response->set_unread(unread);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NotificationsService::MarkRead(grpc::CallbackServerContext* context,
                                                         const v1::MarkReadRequest* request,
                                                         v1::MarkReadResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    ASSIGN_OR_RETURN(auto inbox, InboxOf(subject, request->recipient()));
    ASSIGN_OR_RETURN(
        auto marked,
        store_->MarkRead(inbox, {request->notifications().begin(), request->notifications().end()},
                         clock_->Now()));
    response->set_marked(marked);
    return absl::OkStatus();
  });
}

// Writes what is in the inbox after a sequence, then follows the store for new entries.
// A helper thread does the waiting (gRPC threads must not block) and writes one at a time.
class NotificationsService::WatchReactor : public grpc::ServerWriteReactor<v1::Notification> {
 public:
  // `still_allowed`: asked before every message and every wait (auth::StreamRecheck);
  // a refusal (the person removed or moved, the token expired) ends the stream with it.
  WatchReactor(NotificationsStore* store, std::string inbox, int64_t after,
               std::function<absl::Status()> still_allowed)
      : store_(store),
        inbox_(std::move(inbox)),
        after_(after),
        still_allowed_(std::move(still_allowed)) {
    // The stream's thread logs under the call's span.
    thread_ = std::thread(::bdtx::server::BindTrace([this] { Run(); }));
  }
  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) stopped_ = true;
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }
  void OnDone() override {
    thread_.join();
    delete this;
  }

 private:
  void Run() {
    eventstore::EventStore* events = store_->events();
    absl::Status status;
    while (true) {
      if (!(status = still_allowed_()).ok()) break;
      const int64_t seen = events->LastPosition();
      auto batch = store_->Inbox(inbox_, after_, 100);
      if (!batch.ok()) {
        status = batch.status();
        break;
      }
      bool stop = false;
      for (v1::Notification& n : *batch) {
        if (!(status = still_allowed_()).ok()) {
          stop = true;
          break;
        }
        after_ = n.sequence();
        message_ = std::move(n);
        absl::MutexLock lock(&mu_);
        if (stopped_) {
          stop = true;
          break;
        }
        writing_ = true;
        StartWrite(&message_);
        mu_.Await(absl::Condition(
            +[](WatchReactor* r)
                 ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) { return !r->writing_ || r->stopped_; },
            this));
        if (stopped_) {
          stop = true;
          break;
        }
      }
      if (stop) break;
      if (batch->size() == 100) continue;
      // Nothing more now: wait for the store to move (or a second, to notice cancellation).
      events->WaitForPosition(seen, absl::Seconds(1));
      absl::MutexLock lock(&mu_);
      if (stopped_) break;
    }
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](WatchReactor* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) { return !r->writing_; }, this));
    Finish(status.ok() ? grpc::Status(grpc::StatusCode::CANCELLED, "the watch ended")
                       : ToGrpcStatus(status));
  }

  NotificationsStore* const store_;
  const std::string inbox_;
  int64_t after_;
  const std::function<absl::Status()> still_allowed_;
  v1::Notification message_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

grpc::ServerWriteReactor<v1::Notification>* NotificationsService::WatchNotifications(
    grpc::CallbackServerContext* context, const v1::WatchNotificationsRequest* request) {
  using Refused = server::EventStreamReactor<v1::Notification>;
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return Refused::Refuse(subject.status());
  auto inbox = InboxOf(*subject, request->recipient());
  if (!inbox.ok()) return Refused::Refuse(inbox.status());
  if (request->after_sequence() < 0) {
    return Refused::Refuse(absl::InvalidArgumentError("after_sequence phải >= 0"));
  }
  // The inbox is checked again while the stream runs: for the caller's current roles.
  return new WatchReactor(store_, *inbox, request->after_sequence(),
                          auth::StreamRecheck(*context, [inbox = *inbox](const auth::Subject& s) {
                            return InboxOf(s, inbox).status();
                          }));
}

grpc::ServerUnaryReactor* NotificationsService::GetPreferences(
    grpc::CallbackServerContext* context, const v1::GetPreferencesRequest* request,
    v1::Preferences* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    const std::string person = request->person().empty() ? subject.name : request->person();
    if (person != subject.name && !IsOperator(subject)) {
      return absl::PermissionDeniedError(
          "chỉ chính người đó (hoặc quản trị viên) được xem cài đặt của họ");
    }
    ASSIGN_OR_RETURN(auto prefs, store_->Preferences(person));
    if (prefs.has_value()) {
      *response = *prefs;
      response->clear_webhook_keys();  // secrets are shown once, when generated
      response->clear_webhook_secret();
    } else {  // the defaults
      response->set_person(person);
      response->set_email(true);
    }
    response->set_etag(PreferencesEtag(prefs));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NotificationsService::SetPreferences(
    grpc::CallbackServerContext* context, const v1::SetPreferencesRequest* request,
    v1::Preferences* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Checking a webhook URL resolves its host (DNS can take seconds): off the gRPC thread.
  lookups_.Run([this, context, request, response, reactor] {
    reactor->Finish(ToGrpcStatus(SetPreferencesNow(*context, *request, response)));
  });
  return reactor;
}

absl::Status NotificationsService::SetPreferencesNow(grpc::CallbackServerContext& context,
                                                     const v1::SetPreferencesRequest& request,
                                                     v1::Preferences* response) {
  ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(context));
  v1::Preferences p = request.preferences();
  if (p.person().empty()) p.set_person(subject.name);
  if (p.person() != subject.name && !IsOperator(subject)) {
    return absl::PermissionDeniedError(
        "chỉ chính người đó (hoặc quản trị viên) được đổi cài đặt của họ");
  }
  // request_id (AIP-155): looked up once the caller may set these preferences; private to
  // the caller (ScopedId) and bound to the person and the whole request.
  const idempotency::Binding binding =
      idempotency::Bind(subject.name, kSetPreferencesMethod, p.person(), request);
  const std::string request_key =
      request.request_id().empty() ? "" : idempotency::ScopedId(subject.name, request.request_id());
  auto replay = [&]() -> std::optional<absl::Status> {
    if (request_key.empty()) return std::nullopt;
    ASSIGN_OR_RETURN(auto recorded, store_->FindRequest(request_key));
    if (!recorded.has_value()) return std::nullopt;
    RETURN_IF_ERROR(idempotency::CheckSame(binding, *recorded));
    if (!response->ParseFromString((recorded)->response())) {
      return idempotency::Reused(request.request_id(), (recorded)->method());
    }
    return absl::OkStatus();  // the first answer; nothing written
  };
  if (std::optional<absl::Status> replayed = replay()) return *replayed;
  // Keys and secrets come from this service only, never from a request.
  p.clear_webhook_keys();
  p.clear_webhook_secret();
  const std::string expected_etag = p.etag();
  p.clear_etag();
  if (!p.webhook_url().empty() || p.webhook()) {
    auto checked = CheckWebhookUrl(p.webhook_url(), pipeline_->allow_hosts(), /*resolve=*/true);
    if (!checked.ok()) {
      return WithBadRequest(checked.status(),
                            {{"preferences.webhook_url", std::string(checked.status().message())}});
    }
  }
  absl::MutexLock lock(&preferences_mu_);  // read-modify-write of the stored keys
  // Again under the lock: a concurrent call with the same id may have just written it.
  if (std::optional<absl::Status> replayed = replay()) return *replayed;
  ASSIGN_OR_RETURN(auto stored, store_->Preferences(p.person()));
  if (const std::string current = PreferencesEtag(stored);
      !expected_etag.empty() && expected_etag != current) {
    return absl::AbortedError(absl::StrCat(
        "cài đặt của ", p.person(), " đã thay đổi từ lúc được đọc (etag ", expected_etag,
        ", nay là ", current, "): hãy đọc lại (GetPreferences) rồi gửi lại"));
  }
  std::string fresh_secret;
  if (stored.has_value() && (stored)->webhook_url() == p.webhook_url() &&
      !(stored)->webhook_keys().empty()) {
    *p.mutable_webhook_keys() = (stored)->webhook_keys();
  } else if (!p.webhook_url().empty()) {
    fresh_secret = GenerateWebhookSecret();  // a new endpoint: its own secret
    p.add_webhook_keys()->set_secret(fresh_secret);
  }
  v1::Preferences answer = p;
  answer.clear_webhook_keys();
  answer.set_webhook_secret(fresh_secret);
  answer.set_etag(PreferencesEtag(p));
  v1::RequestRecord record;
  if (!request_key.empty()) {
    record = idempotency::Record(binding);
    record.set_response(answer.SerializeAsString());
  }
  if (absl::Status s = store_->SetPreferences(p, subject.name, clock_->Now(), request_key, record);
      !s.ok()) {
    return s;
  }
  *response = std::move(answer);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* NotificationsService::RotateWebhookSecret(
    grpc::CallbackServerContext* context, const v1::RotateWebhookSecretRequest* request,
    v1::RotateWebhookSecretResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    const std::string person = request->person().empty() ? subject.name : request->person();
    if (person != subject.name && !IsOperator(subject)) {
      return absl::PermissionDeniedError("only the person (or an admin) rotates their secret");
    }
    // request_id (AIP-155): a retry answers the secret the first call made, instead of
    // rotating again (which would push the first new secret out after 24 h unseen).
    const idempotency::Binding binding =
        idempotency::Bind(subject.name, kRotateWebhookSecretMethod, person, *request);
    const std::string request_key =
        request->request_id().empty() ? ""
                                      : idempotency::ScopedId(subject.name, request->request_id());
    absl::MutexLock lock(&preferences_mu_);
    if (!request_key.empty()) {
      auto recorded = store_->FindRequest(request_key);
      if (!recorded.ok()) return recorded.status();
      if (recorded->has_value()) {
        if (absl::Status s = idempotency::CheckSame(binding, **recorded); !s.ok()) return s;
        if (!response->ParseFromString((*recorded)->response())) {
          return idempotency::Reused(request->request_id(), (*recorded)->method());
        }
        return absl::OkStatus();  // the first answer; nothing rotated
      }
    }
    ASSIGN_OR_RETURN(auto stored, store_->Preferences(person));
    if (!stored.has_value() || (stored)->webhook_url().empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(person, " has no webhook; set one with SetPreferences first"));
    }
    v1::Preferences p = *stored;
    const absl::Time now = clock_->Now();
    const absl::Time until = now + kWebhookRotationOverlap;
    const std::string secret = GenerateWebhookSecret();
    std::vector<v1::WebhookSigningKey> keys = RotateWebhookKeys(p.webhook_keys(), secret, now);
    p.clear_webhook_keys();
    for (v1::WebhookSigningKey& k : keys) *p.add_webhook_keys() = std::move(k);
    v1::RotateWebhookSecretResponse answer;
    answer.set_webhook_secret(secret);
    answer.mutable_previous_valid_until()->set_seconds(absl::ToUnixSeconds(until));
    v1::RequestRecord record;
    if (!request_key.empty()) {
      record = idempotency::Record(binding);
      record.set_response(answer.SerializeAsString());
    }
    if (absl::Status s = store_->SetPreferences(p, subject.name, now, request_key, record);
        !s.ok()) {
      return s;
    }
    *response = std::move(answer);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NotificationsService::SendActivationCode(
    grpc::CallbackServerContext* context, const v1::SendActivationCodeRequest* request,
    v1::SendActivationCodeResponse* /*response*/) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) {
    reactor->Finish(ToGrpcStatus(subject.status()));
    return reactor;
  }
  if (subject->name != "services/directory") {
    reactor->Finish(ToGrpcStatus(absl::PermissionDeniedError(
        "chỉ dịch vụ danh bạ (services/directory) gửi được mã kích hoạt")));
    return reactor;
  }
  v1::Notification n = ActivationCodeEmail(*request);
  const std::string to = request->email();
  // The SMTP exchange blocks (seconds at worst): not on a gRPC thread.
  const bool queued = mail_now_.TryRun([this, reactor, to, n = std::move(n)]() mutable {
    absl::Status sent = pipeline_->SendEmailNow(to, n);
    const std::string person = n.recipient();
    n.Clear();  // the code leaves memory with it
    if (sent.ok()) {
      server::LogInfo("activation code e-mailed", {{"recipient", person}});
    } else {
      server::LogWarning("activation code not e-mailed", {{"error", sent.ToString()}});
    }
    reactor->Finish(ToGrpcStatus(sent));
  });
  if (!queued) {
    reactor->Finish(ToGrpcStatus(
        absl::ResourceExhaustedError("quá nhiều thư mã kích hoạt đang chờ gửi; thử lại sau")));
  }
  return reactor;
}

grpc::ServerUnaryReactor* NotificationsService::ListDeadLetters(
    grpc::CallbackServerContext* context, const v1::ListDeadLettersRequest* request,
    v1::ListDeadLettersResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    if (!IsOperator(subject)) {
      return absl::PermissionDeniedError(
          "thư không gửi được (dead letter) chỉ dành cho quản trị hệ thống");
    }
    const int page_size = request->page_size() <= 0 ? 100 : std::min(request->page_size(), 1000);
    ASSIGN_OR_RETURN(auto jobs, store_->DeadLetters(request->page_token(), page_size));
    for (v1::DeliveryJob& j : jobs) *response->add_jobs() = std::move(j);
    if (response->jobs_size() == page_size) {
      response->set_next_page_token(response->jobs(page_size - 1).id());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NotificationsService::ReplayDeadLetter(
    grpc::CallbackServerContext* context, const v1::ReplayDeadLetterRequest* request,
    v1::ReplayDeadLetterResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    if (!IsOperator(subject)) {
      return absl::PermissionDeniedError(
          "gửi lại thư không gửi được chỉ dành cho quản trị hệ thống");
    }
    std::vector<std::string> ids;
    if (text::EqualsIgnoringCase(request->job(), "all")) {  // "ALL", "All" too
      ASSIGN_OR_RETURN(auto jobs, store_->DeadLetters("", 100000));
      for (const v1::DeliveryJob& j : jobs) ids.push_back(j.id());
    } else {
      ids.push_back(request->job());
    }
    for (const std::string& id : ids) {
      if (absl::Status s = store_->ReplayDeadLetter(id, subject.name, clock_->Now()); !s.ok()) {
        return s;
      }
      response->set_replayed(response->replayed() + 1);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NotificationsService::GetStatus(grpc::CallbackServerContext* context,
                                                          const v1::GetStatusRequest* request,
                                                          v1::GetStatusResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto subject, auth::SubjectFromContext(*context));
    if (!IsOperator(subject))
      return absl::PermissionDeniedError("trạng thái chỉ dành cho quản trị hệ thống");
    *response = pipeline_->Status();
    return absl::OkStatus();
  });
}

}  // namespace bdtx::notifications
