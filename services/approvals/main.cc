// bdtx-approvals: wiring only. See services/approvals/api for the handlers.
#include "common/clock/clock.h"
#include "common/server/metrics.h"
#include "common/server/server.h"
#include "grpcpp/grpcpp.h"
#include "services/approvals/api/approvals_metrics.h"
#include "services/approvals/api/approvals_service.h"

int main(int argc, char** argv) {
  bdtx::server::ServiceRunner runner("approvals", 7103);
  bdtx::server::DefineServiceAddressFlags(runner.flags(), {"directory"});
  runner.flags().Define("deadlines", "2021=2022-02-28T23:59:59+07:00",
                        "campaign deadlines: YEAR[:MODULE]=RFC3339, comma-separated");
  if (absl::Status s = runner.Init(argc, argv); !s.ok()) return runner.Fail(s);
  auto deadlines = bdtx::approvals::Deadlines::Parse(runner.flags().Get("deadlines"));
  if (!deadlines.ok()) return runner.Fail(deadlines.status());
  auto secret = bdtx::server::ServiceSecret(runner.flags());
  if (!secret.ok()) return runner.Fail(secret.status());
  auto events = runner.OpenEventStore();
  if (!events.ok()) return runner.Fail(events.status());

  auto directory =
      bdtx::v1::Directory::NewStub(runner.PeerChannel(runner.flags().Get("directory")));
  bdtx::approvals::ServiceToken token("approvals", *secret, &bdtx::RealClock());
  bdtx::approvals::ApprovalsStore store(*events);
  if (absl::Status s = store.LoadTally(); !s.ok()) return runner.Fail(s);
  bdtx::approvals::ApprovalsService service(&store, directory.get(), &token, *deadlines,
                                            &bdtx::RealClock());
  runner.AddService(&service);
  runner.AddMetricsSource(bdtx::server::CollectAtScrape([&store, &deadlines] {
    return bdtx::approvals::BusinessMetrics(store.Tally(), *deadlines, bdtx::RealClock().Now());
  }));
  return runner.Run();
}
