// bdtx-support: wiring only. See services/support/api for the handlers.
#include <memory>

#include "common/auth/service_token.h"
#include "common/clients/directory_client.h"
#include "common/clock/clock.h"
#include "common/server/metrics.h"
#include "common/server/server.h"
#include "grpcpp/grpcpp.h"
#include "services/support/api/support_service.h"

int main(int argc, char** argv) {
  bdtx::server::ServiceRunner runner("support", 7106);
  bdtx::server::DefineServiceAddressFlags(runner.flags(), {"directory", "plans"});
  runner.flags().Define("clock_file", "",
                        "TESTS ONLY: read the current time from this file (RFC 3339) at every "
                        "use, so an end-to-end test can move the clock; empty: the wall clock");
  if (absl::Status s = runner.Init(argc, argv); !s.ok()) return runner.Fail(s);
  auto secret = bdtx::server::ServiceSecret(runner.flags());
  if (!secret.ok()) return runner.Fail(secret.status());
  auto events = runner.OpenEventStore();
  if (!events.ok()) return runner.Fail(events.status());

  std::unique_ptr<bdtx::FileClock> file_clock;
  const bdtx::Clock* clock = &bdtx::RealClock();
  if (!runner.flags().Get("clock_file").empty()) {
    file_clock = std::make_unique<bdtx::FileClock>(runner.flags().Get("clock_file"));
    clock = file_clock.get();
  }
  bdtx::support::SupportStore store(*events);
  if (absl::Status s = store.Recover(); !s.ok()) return runner.Fail(s);
  auto channel = runner.PeerChannel(runner.flags().Get("directory"));
  auto stub = bdtx::v1::Directory::NewStub(channel);
  bdtx::auth::ServiceToken token("support", *secret, &bdtx::RealClock());
  bdtx::clients::DirectoryClient directory(stub.get(), &token, absl::Seconds(30));
  std::unique_ptr<bdtx::v1::Plans::Stub> plans_stub;
  if (!runner.flags().Get("plans").empty()) {
    plans_stub = bdtx::v1::Plans::NewStub(runner.PeerChannel(runner.flags().Get("plans")));
  }
  bdtx::support::SupportService service(&store, &directory, clock, plans_stub.get(), &token);
  runner.AddService(&service);
  // Imports change support groups, people and units: drop the 30 s cache at once (ADR 012).
  runner.OnDirectoryChange([&directory] { directory.DropCaches(); });
  // Business gauge (docs/operations.md): one pass over the questions in memory, at most
  // once a minute however often Prometheus scrapes.
  runner.AddMetricsSource(bdtx::server::CollectAtMostEvery(absl::Minutes(1), [&store, clock] {
    const auto overdue = store.Read(
        [now = clock->Now()](const bdtx::support::SupportModel& m) { return m.OverdueAt(now); });
    return std::vector<prometheus::MetricFamily>{bdtx::server::GaugeFamily(
        "bdtx_support_questions_overdue",
        "questions waiting past their due time, by who must answer (open: the core member, "
        "escalated: the lecturer)",
        {{{{"state", "open"}}, static_cast<double>(overdue.open)},
         {{{"state", "escalated"}}, static_cast<double>(overdue.escalated)}})};
  }));
  return runner.Run();
}
