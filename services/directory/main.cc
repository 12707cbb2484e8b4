// bdtx-directory: wiring only. See services/directory/api for the handlers.
#include <memory>

#include "absl/strings/numbers.h"
#include "bdtx/v1/notifications.grpc.pb.h"
#include "common/auth/service_token.h"
#include "common/clock/clock.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "common/server/server.h"
#include "services/directory/api/directory_service.h"
#include "services/directory/api/sessions_service.h"
#include "services/directory/store/directory_store.h"

int main(int argc, char** argv) {
  bdtx::server::ServiceRunner runner("directory", 7101);
  auto& flags = runner.flags();
  flags.Define("notifications", "127.0.0.1:7105",
               "notifications service address: e-mails activation codes (empty: no e-mail)");
  flags.Define("access_token_ttl", "15m", "lifetime of the access tokens sign-in mints");
  flags.Define("refresh_token_ttl", "336h", "lifetime of each refresh token (rotated on use)");
  flags.Define("activation_code_ttl", "72h", "lifetime of an activation code");
  flags.Define("argon2_memory_kib", "65536", "Argon2id memory per password hash (KiB)");
  flags.Define("argon2_time_cost", "3", "Argon2id passes per password hash");
  if (absl::Status s = runner.Init(argc, argv); !s.ok()) return runner.Fail(s);
  auto events = runner.OpenEventStore();
  if (!events.ok()) return runner.Fail(events.status());
  // Credentials in a store of their own (ADR 015): sign-ins must not move the
  // directory's version, which every service watches to drop cached roles (ADR 012).
  auto credentials =
      bdtx::eventstore::RocksDbEventStore::Open(runner.data_dir() + "/credentials", {});
  if (!credentials.ok()) return runner.Fail(credentials.status());
  runner.AddBackupStore("credentials", [store = credentials->get()](const std::string& dir) {
    return store->Checkpoint(dir);
  });
  bdtx::directory::SessionsOptions sessions;
  auto secret = bdtx::server::ServiceSecret(flags);
  if (!secret.ok()) return runner.Fail(secret.status());
  sessions.hs256_secret = *secret;
  sessions.issuer = flags.Get("auth_issuer");
  sessions.audience = flags.Get("auth_audience");
  auto access = flags.GetDuration("access_token_ttl");
  auto refresh = flags.GetDuration("refresh_token_ttl");
  auto activation = flags.GetDuration("activation_code_ttl");
  auto memory = flags.GetInt("argon2_memory_kib");
  auto passes = flags.GetInt("argon2_time_cost");
  for (const absl::Status& s :
       {access.status(), refresh.status(), activation.status(), memory.status(), passes.status()}) {
    if (!s.ok()) return runner.Fail(s);
  }
  sessions.access_ttl = *access;
  sessions.refresh_ttl = *refresh;
  sessions.activation_ttl = *activation;
  sessions.argon2.memory_kib = static_cast<uint32_t>(*memory);
  sessions.argon2.time_cost = static_cast<uint32_t>(*passes);
  std::unique_ptr<bdtx::v1::Notifications::Stub> notifications;
  std::unique_ptr<bdtx::auth::ServiceToken> token;
  if (!flags.Get("notifications").empty()) {
    notifications =
        bdtx::v1::Notifications::NewStub(runner.PeerChannel(flags.Get("notifications")));
    token = std::make_unique<bdtx::auth::ServiceToken>("directory", *secret, &bdtx::RealClock());
    sessions.notifications = notifications.get();
    sessions.token = token.get();
  }
  bdtx::directory::DirectoryStore store(*events);
  bdtx::directory::DirectoryService service(&store, &bdtx::RealClock());
  bdtx::directory::SessionsService sessions_service(&store, credentials->get(), &bdtx::RealClock(),
                                                    sessions);
  bdtx::directory::StoreRolesResolver roles(&store);
  runner.SetRolesResolver(&roles);  // people's roles as the store says now (ADR 012)
  runner.OnDrain([&service] { service.StopWatches(); });
  runner.AddService(&service);
  runner.AddService(&sessions_service);
  return runner.Run();
}
