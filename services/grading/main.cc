// bdtx-grading: wiring only. See services/grading/api for the handlers.
#include "common/auth/service_token.h"
#include "common/clock/clock.h"
#include "common/server/metrics.h"
#include "common/server/server.h"
#include "grpcpp/grpcpp.h"
#include "services/grading/api/grading_service.h"

int main(int argc, char** argv) {
  bdtx::server::ServiceRunner runner("grading", 7104);
  bdtx::server::DefineServiceAddressFlags(runner.flags(), {"directory"});
  if (absl::Status s = runner.Init(argc, argv); !s.ok()) return runner.Fail(s);
  auto secret = bdtx::server::ServiceSecret(runner.flags());
  if (!secret.ok()) return runner.Fail(secret.status());
  auto events = runner.OpenEventStore();
  if (!events.ok()) return runner.Fail(events.status());

  bdtx::grading::GradingStore store(*events);
  if (absl::Status s = store.Recover(); !s.ok()) return runner.Fail(s);
  auto channel = runner.PeerChannel(runner.flags().Get("directory"));
  auto stub = bdtx::v1::Directory::NewStub(channel);
  bdtx::auth::ServiceToken token("grading", *secret, &bdtx::RealClock());
  bdtx::grading::DirectoryClient directory(stub.get(), &token);
  bdtx::grading::GradingService service(&store, &directory, &bdtx::RealClock());
  runner.AddService(&service);
  // Business gauges (docs/operations.md), from the in-memory model at each scrape.
  runner.AddMetricsSource(bdtx::server::CollectAtScrape([&store] {
    const auto closing = store.Read([](const bdtx::grading::GradingModel& model) {
      return model.WindowsClosingWithin(bdtx::RealClock().Now(), absl::Hours(48));
    });
    return std::vector<prometheus::MetricFamily>{
        bdtx::server::GaugeFamily("bdtx_grading_windows_closing_48h",
                                  "grading windows still open that close within 48 hours",
                                  {{{}, static_cast<double>(closing.runs)}}),
        bdtx::server::GaugeFamily(
            "bdtx_grading_ungraded_in_closing_windows",
            "submitted assignments not yet graded in windows that close within 48 hours",
            {{{}, static_cast<double>(closing.ungraded)}})};
  }));
  // Imports change people and units: drop cached directory answers (ADR 012).
  runner.OnDirectoryChange([&directory] { directory.DropCaches(); });
  return runner.Run();
}
