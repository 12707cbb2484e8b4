// bdtx-directory: wiring only. See services/directory/api for the handlers.
#include "common/clock/clock.h"
#include "common/server/server.h"
#include "services/directory/api/directory_service.h"
#include "services/directory/store/directory_store.h"

int main(int argc, char** argv) {
  bdtx::server::ServiceRunner runner("directory", 7101);
  if (absl::Status s = runner.Init(argc, argv); !s.ok()) return runner.Fail(s);
  auto events = runner.OpenEventStore();
  if (!events.ok()) return runner.Fail(events.status());
  bdtx::directory::DirectoryStore store(*events);
  bdtx::directory::DirectoryService service(&store, &bdtx::RealClock());
  bdtx::directory::StoreRolesResolver roles(&store);
  runner.SetRolesResolver(&roles);  // people's roles as the store says now (ADR 012)
  runner.OnDrain([&service] { service.StopWatches(); });
  runner.AddService(&service);
  return runner.Run();
}
