// bdtx-notifications: wiring only. See api/pipeline.h (streams, timers, deliveries) and
// api/notifications_service.h (inbox, preferences, dead letters).
#include "common/auth/service_token.h"
#include "common/clients/directory_client.h"
#include "common/clock/clock.h"
#include "common/server/server.h"
#include "grpcpp/grpcpp.h"
#include "services/notifications/api/notifications_service.h"
#include "services/notifications/api/pipeline.h"

int main(int argc, char** argv) {
  bdtx::server::ServiceRunner runner("notifications", 7105);
  auto& flags = runner.flags();
  flags.Define("directory", "127.0.0.1:7101", "address of the directory service");
  flags.Define("approvals", "127.0.0.1:7103", "approvals service to follow; empty: none");
  flags.Define("grading", "127.0.0.1:7104", "grading service to follow; empty: none");
  flags.Define("smtp", "", "SMTP relay host:port for e-mail; empty: no e-mail");
  flags.Define("mail_from", "bdtx@localhost", "sender address of e-mails");
  flags.Define("webhook_url", "", "http:// URL that receives every notification; empty: none");
  flags.Define("webhook_secret", "", "HMAC-SHA256 key of the X-Bdtx-Signature header");
  flags.Define("max_attempts", "8", "delivery attempts before a job becomes a dead letter");
  flags.Define("base_backoff", "1s", "first retry delay (doubles, with jitter)");
  flags.Define("max_backoff", "10m", "longest retry delay");
  flags.Define("delivery_timeout", "10s", "per attempt, for SMTP and webhooks");
  flags.Define("poll_interval", "100ms", "how often due jobs and timers are looked for");
  flags.Define("deadlines", "2021=2022-02-28T23:59:59+07:00",
               "campaign deadlines (as approvals): digests 7 days and 1 day before");
  if (absl::Status s = runner.Init(argc, argv); !s.ok()) return runner.Fail(s);

  bdtx::notifications::PipelineOptions options;
  options.smtp = flags.Get("smtp");
  options.mail_from = flags.Get("mail_from");
  options.webhook_url = flags.Get("webhook_url");
  options.webhook_secret = flags.Get("webhook_secret");
  auto attempts = flags.GetInt("max_attempts");
  if (!attempts.ok()) return runner.Fail(attempts.status());
  if (*attempts < 1) return runner.Fail(absl::InvalidArgumentError("--max_attempts must be >= 1"));
  options.max_attempts = static_cast<int>(*attempts);
  for (auto [name, out] : {std::pair{"base_backoff", &options.base_backoff},
                           std::pair{"max_backoff", &options.max_backoff},
                           std::pair{"delivery_timeout", &options.delivery_timeout},
                           std::pair{"poll_interval", &options.poll_interval}}) {
    auto d = flags.GetDuration(name);
    if (!d.ok()) return runner.Fail(d.status());
    *out = *d;
  }
  auto deadlines = bdtx::approvals::Deadlines::Parse(flags.Get("deadlines"));
  if (!deadlines.ok()) return runner.Fail(deadlines.status());
  options.deadlines = *std::move(deadlines);
  if (!options.webhook_url.empty() && options.webhook_secret.empty()) {
    return runner.Fail(absl::InvalidArgumentError(
        "--webhook_url needs --webhook_secret (receivers check the HMAC signature)"));
  }
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
  bdtx::auth::ServiceToken token("notifications", *secret, &bdtx::RealClock());
  bdtx::clients::DirectoryClient directory(directory_stub.get(), &token, absl::Seconds(60));

  bdtx::notifications::Pipeline* pipeline_ptr = nullptr;
  bdtx::notifications::NotificationsStore store(
      *events, [&pipeline_ptr](const bdtx::v1::Notification& n) { return pipeline_ptr->Plan(n); });
  bdtx::notifications::Pipeline pipeline(&store, &directory, approvals_stub.get(),
                                         grading_stub.get(), &token, &bdtx::RealClock(),
                                         std::move(options));
  pipeline_ptr = &pipeline;
  if (absl::Status s = pipeline.Start(); !s.ok()) return runner.Fail(s);
  bdtx::notifications::NotificationsService service(&store, &pipeline, &bdtx::RealClock());
  runner.AddService(&service);
  runner.BeforeStoreCloses([&pipeline] { pipeline.Stop(); });
  // Imports change people and units: drop cached directory answers (ADR 012).
  runner.OnDirectoryChange([&directory] { directory.DropCaches(); });
  return runner.Run();
}
