// bdtx-notifications: wiring only. See api/pipeline.h (streams, timers, deliveries) and
// api/notifications_service.h (inbox, preferences, dead letters).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/service_token.h"
#include "common/clients/directory_client.h"
#include "common/clock/clock.h"
#include "common/mail/address.h"
#include "common/server/metrics.h"
#include "common/server/server.h"
#include "grpcpp/grpcpp.h"
#include "services/notifications/api/notifications_service.h"
#include "services/notifications/api/pipeline.h"
#include "services/notifications/delivery/signature.h"
#include "services/notifications/delivery/webhook_url.h"

int main(int argc, char** argv) {
  bdtx::server::ServiceRunner runner("notifications", 7105);
  auto& flags = runner.flags();
  bdtx::server::DefineServiceAddressFlags(flags, {"directory"});
  flags.Define("approvals", "127.0.0.1:7103", "approvals service to follow; empty: none");
  flags.Define("grading", "127.0.0.1:7104", "grading service to follow; empty: none");
  flags.Define("support", "", "support service to follow (questions; issue 21); empty: none");
  flags.Define("smtp", "",
               "SMTP relay: smtp://host:port, smtps://host:port or host:port; empty: no e-mail");
  flags.Define("smtp_starttls", "false", "true: require STARTTLS on smtp:// (never clear text)");
  flags.Define("smtp_user", "", "SMTP AUTH user (needs smtps:// or --smtp_starttls=true)");
  flags.Define("smtp_password", "", "SMTP AUTH password (prefer BDTX_SMTP_PASSWORD)");
  flags.Define("smtp_ca_file", "", "PEM CA bundle to verify the relay; empty: system store");
  flags.Define("mail_from", "bdtx@localhost.localdomain", "sender address of e-mails");
  flags.Define("webhook_url", "",
               "http(s):// URL that receives every notification (the system webhook); empty: none");
  flags.Define("webhook_secret", "",
               "secret(s) of the system webhook's webhook-signature, whsec_<base64>; "
               "space-separated during a rotation, the current one first");
  flags.Define("webhook_ca_file", "",
               "PEM CA bundle to verify https webhooks; empty: system store");
  flags.Define("webhook_allow_hosts", "",
               "hosts (names or IPs, comma-separated) personal webhooks may reach over http or at "
               "private/loopback addresses; empty: none");
  flags.Define("connect_timeout", "5s", "per attempt, to connect to the SMTP relay or a webhook");
  flags.Define("max_attempts", "8", "delivery attempts before a job becomes a dead letter");
  flags.Define("base_backoff", "1s", "first retry delay (doubles, with jitter)");
  flags.Define("max_backoff", "10m", "longest retry delay");
  flags.Define("delivery_timeout", "10s", "per attempt, for SMTP and webhooks");
  flags.Define("poll_interval", "100ms", "how often due jobs and timers are looked for");
  flags.Define("deadlines", "2021=2022-02-28T23:59:59+07:00",
               "campaign deadlines (as approvals): digests 7 days and 1 day before");
  if (absl::Status s = runner.Init(argc, argv); !s.ok()) return runner.Fail(s);

  bdtx::notifications::PipelineOptions options;
  options.smtp.url = flags.Get("smtp");
  if (flags.Get("smtp_starttls") != "true" && flags.Get("smtp_starttls") != "false") {
    return runner.Fail(absl::InvalidArgumentError("--smtp_starttls must be true or false"));
  }
  options.smtp.require_tls = flags.Get("smtp_starttls") == "true";
  options.smtp.username = flags.Get("smtp_user");
  options.smtp.password = flags.Get("smtp_password");
  options.smtp.ca_file = flags.Get("smtp_ca_file");
  if (!options.smtp.url.empty()) {
    if (absl::Status s = bdtx::notifications::ValidateSmtpConfig(options.smtp); !s.ok()) {
      return runner.Fail(s);
    }
  }
  options.mail_from = flags.Get("mail_from");
  if (absl::Status s = bdtx::mail::ValidateAddress(options.mail_from); !s.ok()) {
    return runner.Fail(absl::InvalidArgumentError(absl::StrCat("--mail_from: ", s.message())));
  }
  options.webhook_url = flags.Get("webhook_url");
  std::vector<std::string> secrets =
      absl::StrSplit(flags.Get("webhook_secret"), ' ', absl::SkipWhitespace());
  options.webhook_secrets = std::move(secrets);
  for (const std::string& secret : options.webhook_secrets) {
    if (auto key = bdtx::notifications::WebhookKey(secret); !key.ok()) {
      return runner.Fail(
          absl::InvalidArgumentError(absl::StrCat("--webhook_secret: ", key.status().message())));
    }
  }
  options.webhook_ca_file = flags.Get("webhook_ca_file");
  auto allow = bdtx::notifications::ParseAllowHosts(flags.Get("webhook_allow_hosts"));
  if (!allow.ok()) return runner.Fail(allow.status());
  options.allow_hosts = *std::move(allow);
  auto attempts = flags.GetInt("max_attempts");
  if (!attempts.ok()) return runner.Fail(attempts.status());
  if (*attempts < 1) return runner.Fail(absl::InvalidArgumentError("--max_attempts must be >= 1"));
  options.max_attempts = static_cast<int>(*attempts);
  for (auto [name, out] : {std::pair{"base_backoff", &options.base_backoff},
                           std::pair{"max_backoff", &options.max_backoff},
                           std::pair{"delivery_timeout", &options.delivery_timeout},
                           std::pair{"connect_timeout", &options.connect_timeout},
                           std::pair{"poll_interval", &options.poll_interval}}) {
    auto d = flags.GetDuration(name);
    if (!d.ok()) return runner.Fail(d.status());
    *out = *d;
  }
  auto deadlines = bdtx::Deadlines::Parse(flags.Get("deadlines"));
  if (!deadlines.ok()) return runner.Fail(deadlines.status());
  options.deadlines = *std::move(deadlines);
  if (!options.webhook_url.empty() && options.webhook_secrets.empty()) {
    return runner.Fail(absl::InvalidArgumentError(
        "--webhook_url needs --webhook_secret (receivers check the webhook-signature)"));
  }
  options.smtp.connect_timeout = options.connect_timeout;
  options.smtp.timeout = options.delivery_timeout;
  auto secret = bdtx::server::ServiceSecret(flags);
  if (!secret.ok()) return runner.Fail(secret.status());
  auto events = runner.OpenEventStore();
  if (!events.ok()) return runner.Fail(events.status());

  auto channel = [&](const char* flag) { return runner.PeerChannel(flags.Get(flag)); };
  auto directory_stub = bdtx::v1::Directory::NewStub(channel("directory"));
  std::unique_ptr<bdtx::v1::Approvals::Stub> approvals_stub;
  std::unique_ptr<bdtx::v1::Grading::Stub> grading_stub;
  if (!flags.Get("approvals").empty())
    approvals_stub = bdtx::v1::Approvals::NewStub(channel("approvals"));
  if (!flags.Get("grading").empty()) grading_stub = bdtx::v1::Grading::NewStub(channel("grading"));
  std::unique_ptr<bdtx::v1::Support::Stub> support_stub;
  if (!flags.Get("support").empty()) support_stub = bdtx::v1::Support::NewStub(channel("support"));
  bdtx::auth::ServiceToken token("notifications", *secret, &bdtx::RealClock());
  bdtx::clients::DirectoryClient directory(directory_stub.get(), &token, absl::Seconds(60));

  bdtx::notifications::Pipeline* pipeline_ptr = nullptr;
  bdtx::notifications::NotificationsStore store(
      *events, [&pipeline_ptr](const bdtx::v1::Notification& n) { return pipeline_ptr->Plan(n); });
  bdtx::notifications::Pipeline pipeline(&store, &directory, approvals_stub.get(),
                                         grading_stub.get(), &token, &bdtx::RealClock(),
                                         std::move(options));
  pipeline_ptr = &pipeline;
  pipeline.SetSupport(support_stub.get());
  if (absl::Status s = pipeline.Start(); !s.ok()) return runner.Fail(s);
  bdtx::notifications::NotificationsService service(&store, &pipeline, &bdtx::RealClock());
  runner.AddService(&service);
  runner.AddMetricsSource(bdtx::server::CollectAtScrape(
      [&pipeline] { return bdtx::notifications::StatusMetrics(pipeline.Status()); }));
  runner.BeforeStoreCloses([&pipeline] { pipeline.Stop(); });
  // Imports change people and units: drop cached directory answers (ADR 012).
  runner.OnDirectoryChange([&directory] { directory.DropCaches(); });
  return runner.Run();
}
