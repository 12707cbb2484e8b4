// bdtxctl notifications: a person's inbox and preferences; dead letters for operators.
#include "bdtx/v1/notifications.grpc.pb.h"
#include "services/bdtxctl/cli.h"

namespace bdtx::ctl {
namespace {

using bdtx::v1::Notifications;

void DefineFlags(Flags& flags) {
  bdtx::server::DefineServiceAddressFlags(flags, {"notifications"});
  flags.Define("unit", "", "a unit's inbox (units/ID) instead of the caller's own");
  flags.Define("unread", "false", "only unread notifications");
  flags.Define("job", "", "a dead letter's job id, or 'all'");
  flags.Define("email", "", "preference: e-mail on (true) or off (false)");
  flags.Define("digest", "", "preference: one e-mail a day (true) instead of one per notification");
  flags.Define("webhook_url", "", "preference: a personal webhook (https://...)");
}

bdtx::v1::ListNotificationsRequest InboxRequest(const Flags& flags) {
  bdtx::v1::ListNotificationsRequest req;
  req.set_recipient(flags.Get("unit"));
  req.set_unread_only(flags.Get("unread") == "true");
  req.set_page_size(100);
  return req;
}

bdtx::v1::ListDeadLettersRequest DeadLettersRequest(const Flags&) {
  bdtx::v1::ListDeadLettersRequest req;
  req.set_page_size(1000);
  return req;
}

absl::StatusOr<bdtx::v1::ReplayDeadLetterRequest> ReplayRequest(const Flags& flags) {
  if (flags.Get("job").empty()) {
    return absl::InvalidArgumentError("--job is required (an id, or all)");
  }
  bdtx::v1::ReplayDeadLetterRequest req;
  req.set_job(flags.Get("job"));
  return req;
}

// Prints each notification as it arrives until the server ends the stream.
int Watch(const Flags& flags) {
  auto token = TokenAs(flags);
  if (!token.ok()) return Fail(token.status());
  Client<Notifications> client = Connect<Notifications>(flags, "notifications", *token);
  grpc::ClientContext context;
  Authorize(context, client.token);
  bdtx::v1::WatchNotificationsRequest req;
  req.set_recipient(flags.Get("unit"));
  auto reader = client.stub->WatchNotifications(&context, req);
  bdtx::v1::Notification n;
  while (reader->Read(&n)) {
    std::printf("%s\n", Json(n).c_str());
    std::fflush(stdout);
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  return 0;
}

// Prints the preferences; with --email/--digest/--webhook-url, changes them first.
int Prefs(const Flags& flags) {
  auto token = TokenAs(flags);
  if (!token.ok()) return Fail(token.status());
  Client<Notifications> client = Connect<Notifications>(flags, "notifications", *token);
  grpc::ClientContext context;
  Authorize(context, client.token);
  bdtx::v1::Preferences prefs;
  grpc::Status status =
      client.stub->GetPreferences(&context, bdtx::v1::GetPreferencesRequest(), &prefs);
  const bool change = !flags.Get("email").empty() || !flags.Get("digest").empty() ||
                      !flags.Get("webhook_url").empty();
  if (status.ok() && change) {
    if (!flags.Get("email").empty()) prefs.set_email(flags.Get("email") == "true");
    if (!flags.Get("digest").empty()) prefs.set_email_digest_daily(flags.Get("digest") == "true");
    if (!flags.Get("webhook_url").empty()) {
      prefs.set_webhook(true);
      prefs.set_webhook_url(flags.Get("webhook_url"));
    }
    grpc::ClientContext set_context;
    Authorize(set_context, client.token);
    bdtx::v1::SetPreferencesRequest set;
    *set.mutable_preferences() = prefs;
    status = client.stub->SetPreferences(&set_context, set, &prefs);
  }
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  std::printf("%s\n", Json(prefs).c_str());
  return 0;
}

}  // namespace

const CommandGroup& NotificationsCommands() {
  static const CommandGroup group = {
      "notifications",
      DefineFlags,
      {{"inbox", "--as people/ID [--unread true] [--unit units/ID]",
        Unary<Notifications>("notifications", &Notifications::Stub::ListNotifications,
                             InboxRequest)},
       {"mark-read", "--as people/ID [--unit units/ID]",
        Unary<Notifications>("notifications", &Notifications::Stub::MarkRead,
                             FromFlags<bdtx::v1::MarkReadRequest>({"recipient=unit"}))},
       {"watch", "--as people/ID [--unit units/ID]", Watch},
       {"prefs",
        "--as people/ID [--email true|false --digest true|false --webhook-url URL]\n"
        "      (a new --webhook-url prints its signing secret once)",
        Prefs},
       {"rotate-secret", "--as people/ID   (new webhook secret, shown once)",
        Unary<Notifications>("notifications", &Notifications::Stub::RotateWebhookSecret,
                             [](const Flags&) { return bdtx::v1::RotateWebhookSecretRequest(); })},
       {"dead-letters", "[--as people/ID]   (operators)",
        Unary<Notifications>("notifications", &Notifications::Stub::ListDeadLetters,
                             DeadLettersRequest, Caller::kOperatorUnlessAs)},
       {"replay", "--job ID|all [--as people/ID]   (operators)",
        Unary<Notifications>("notifications", &Notifications::Stub::ReplayDeadLetter, ReplayRequest,
                             Caller::kOperatorUnlessAs)},
       {"status", "[--as people/ID]   (operators: is the event stream connected?)",
        Unary<Notifications>(
            "notifications", &Notifications::Stub::GetStatus,
            [](const Flags&) { return bdtx::v1::GetStatusRequest(); },
            Caller::kOperatorUnlessAs)}}};
  return group;
}

}  // namespace bdtx::ctl
