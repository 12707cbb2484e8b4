// Server bootstrap shared by every service: a gRPC server (callback API) with the
// grpc.health.v1 health service and server reflection, graceful drain on SIGTERM,
// JSON logs, flags/env configuration and the service's own RocksDB event store.
//
// Example main.cc (wiring only; services/approvals/main.cc is the full one):
//   int main(int argc, char** argv) {
//     bdtx::server::ServiceRunner runner("approvals", 7103);
//     runner.flags().Define("directory", "127.0.0.1:7101", "address of the directory");
//     if (absl::Status s = runner.Init(argc, argv); !s.ok()) return runner.Fail(s);
//     auto events = runner.OpenEventStore();  // owned by the runner
//     if (!events.ok()) return runner.Fail(events.status());
//     ApprovalsStore store(*events);          // the service's store over the event store
//     ApprovalsService service(&store, ...);  // the api/ adapter
//     runner.AddService(&service);
//     return runner.Run();  // until SIGTERM; then drains and closes the store
//   }
#ifndef BDTX_COMMON_SERVER_SERVER_H_
#define BDTX_COMMON_SERVER_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/auth/authenticator.h"
#include "common/auth/current_roles.h"
#include "common/auth/jwt.h"
#include "common/auth/service_token.h"
#include "common/clients/directory_roles.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "common/server/admin_service.h"
#include "common/server/flags.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/collectable.h"

namespace bdtx::server {

class EventStoreMetrics;

// A gRPC server with health and reflection. Thread-safe after Start().
class Server {
 public:
  struct Options {
    std::string listen_address = "127.0.0.1:0";  // port 0: the kernel picks one
    absl::Duration drain_timeout = absl::Seconds(10);
    int max_message_bytes = 16 << 20;
    // Verifies every call's bearer token (nullptr: no authentication, tests only).
    std::shared_ptr<grpc::AuthMetadataProcessor> auth_processor;
    // PEM files; when both are set the server speaks TLS, otherwise it accepts only
    // loopback connections (gRPC local credentials).
    std::string tls_cert_file;
    std::string tls_key_file;
    // Interceptors for every call (metrics), made anew at each Start(); empty: none.
    std::function<
        std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>()>
        interceptors;
    // Runs when draining begins (after health turned NOT_SERVING), before in-flight calls
    // are waited for: turns a separate health server NOT_SERVING too, and ends endless
    // streams (watches) that would otherwise hold the drain for its whole timeout.
    std::function<void()> on_drain;
  };

  explicit Server(Options options) : options_(std::move(options)) {}
  ~Server();

  // REQUIRES: before Start(). `service` is not owned and must outlive the server.
  void AddService(grpc::Service* service) { services_.push_back(service); }

  // Binds and starts serving; health reports SERVING. UNAVAILABLE when the address
  // cannot be bound.
  absl::Status Start();

  int port() const { return port_; }
  // REQUIRES: after Start() and before WaitForShutdown() returns.
  void SetServing(bool serving);
  // The bound address with the real port, e.g. "127.0.0.1:40123".
  std::string address() const;

  // Asks WaitForShutdown() to return. Thread-safe; not async-signal-safe.
  void RequestShutdown() {
    if (!shutdown_requested_.HasBeenNotified()) shutdown_requested_.Notify();
  }

  // Blocks until RequestShutdown(); then reports NOT_SERVING, stops accepting calls,
  // lets in-flight calls finish (cancelling them after drain_timeout) and returns.
  void WaitForShutdown();

 private:
  const Options options_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Notification shutdown_requested_;
};

// Turns SIGTERM and SIGINT into server->RequestShutdown() (through a self-pipe and a
// watcher thread, so nothing unsafe runs in the signal handler). One per process.
class ShutdownSignals {
 public:
  explicit ShutdownSignals(Server* server);
  ~ShutdownSignals();

 private:
  std::thread watcher_;
};

// Flags, logging, store and server for one service process. Not thread-safe; used
// from main only.
class ServiceRunner {
 public:
  // Defines --listen (127.0.0.1:<default_port>), --data_dir (./data/<service>),
  // --drain_timeout (10s), --metrics_listen (Prometheus /metrics; default 127.0.0.1 at
  // --listen's port + 2000, or a free port when --listen's is 0; "off": none) and
  // --health_listen (a plaintext grpc.health.v1-only server for the kubelet's gRPC
  // probes, which cannot speak TLS; default off); add service flags through flags()
  // before Init().
  ServiceRunner(std::string service_name, int default_port);
  ~ServiceRunner();

  Flags& flags() { return flags_; }

  // Parses flags and BDTX_* variables, loads the token verification key; prints
  // usage and exits on --help.
  absl::Status Init(int argc, char** argv);

  // Credentials for calls to the other bdtx services: TLS with --peer_tls_ca_file as the
  // root (servers off loopback speak TLS), else plain (loopback, local credentials).
  // REQUIRES: after Init().
  std::shared_ptr<grpc::ChannelCredentials> PeerCredentials() const;
  // A channel to another bdtx service at `address` ("host:port"), with PeerCredentials,
  // the client metrics (grpc_client_*) and reconnect attempts at most
  // kPeerReconnectMaxBackoff apart. gRPC's default backoff grows to 120 s: after a 30 s
  // directory outage every service kept refusing people (UNAVAILABLE) for ~15 s more once
  // the directory was back. REQUIRES: after Init().
  std::shared_ptr<grpc::Channel> PeerChannel(const std::string& address) const;
  static constexpr absl::Duration kPeerReconnectMaxBackoff = absl::Seconds(1);
  // Serve without token verification. Only for test servers.
  void DisableAuthForTest() { auth_enabled_ = false; }

  // Where people's current roles come from (ADR 012). A service that defines a
  // --directory flag gets a watched cache of the directory in Init() with nothing to
  // do; the directory itself resolves from its own store through this. Run() refuses to
  // serve people without one. REQUIRES: before Run(). Not owned.
  void SetRolesResolver(auth::RolesResolver* resolver);
  // Trust the roles in people's tokens (no directory to ask). Only for test servers.
  void TrustTokenRolesForTest() { trust_token_roles_ = true; }
  // Runs `listener` whenever the watched directory's version changes (to drop other
  // caches of directory data). No-op without a watched directory. REQUIRES: after Init().
  void OnDirectoryChange(std::function<void()> listener);

  // Opens (once) the service's event store in --data_dir/events.
  absl::StatusOr<eventstore::RocksDbEventStore*> OpenEventStore();
  const std::string& data_dir() const { return flags_.Get("data_dir"); }
  // Another store the service owns, in --data_dir/<name>: `bdtxctl admin backup` copies
  // it with the event store (after it) and restore puts it back. `checkpoint` writes a
  // consistent copy into a new directory (RocksDB: Checkpoint). REQUIRES: before Run().
  void AddBackupStore(std::string name,
                      std::function<absl::Status(const std::string&)> checkpoint) {
    backup_stores_.push_back({std::move(name), std::move(checkpoint)});
  }

  // REQUIRES: after Init(), before Run(). Not owned.
  void AddService(grpc::Service* service) { services_.push_back(service); }

  // Metrics read at each scrape (CollectAtScrape), served with the others. Must stay valid
  // until Run() returns. REQUIRES: before Run().
  void AddMetricsSource(std::shared_ptr<prometheus::Collectable> source) {
    metrics_sources_.push_back(std::move(source));
  }

  // `stop` runs after the server drained and before the event store closes: background
  // work that uses the store (consumers, timers) stops there. Called in the order added.
  // `stop` runs when draining starts (see Server::Options::on_drain).
  void OnDrain(std::function<void()> stop) { on_drain_.push_back(std::move(stop)); }
  void BeforeStoreCloses(std::function<void()> stop) {
    before_store_closes_.push_back(std::move(stop));
  }
  // Serves until SIGTERM/SIGINT, drains, closes the store. Returns the exit code.
  int Run();

  // Logs `status` as the reason the service cannot start; returns exit code 1.
  int Fail(const absl::Status& status);

 private:
  const std::string service_name_;
  Flags flags_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<eventstore::RocksDbEventStore> store_;
  std::vector<BackupStore> backup_stores_;
  bool auth_enabled_ = true;
  bool trust_token_roles_ = false;
  std::shared_ptr<auth::Authenticator> authenticator_;
  bool has_roles_resolver_ = false;
  std::shared_ptr<grpc::AuthMetadataProcessor> auth_processor_;
  // The watched directory (services with --directory), in construction order.
  std::unique_ptr<bdtx::v1::Directory::Stub> directory_stub_;
  std::unique_ptr<auth::ServiceToken> directory_token_;
  std::unique_ptr<clients::DirectoryRolesSource> roles_source_;
  std::unique_ptr<auth::CurrentRolesCache> roles_cache_;
  std::unique_ptr<clients::DirectoryWatcher> directory_watcher_;
  std::vector<std::function<void()>> before_store_closes_;
  std::vector<std::function<void()>> on_drain_;
  std::string peer_ca_;
  std::shared_ptr<EventStoreMetrics> store_metrics_;
  std::vector<std::shared_ptr<prometheus::Collectable>> metrics_sources_;
};

// The auth flags every service and bdtxctl share: --auth_key_file (HS256 secret; a
// random one is created for local use when the file is missing),
// --auth_rs256_public_key_file, --auth_issuer, --auth_audience.
void DefineAuthFlags(Flags& flags);
absl::StatusOr<auth::JwtVerifier> VerifierFromFlags(const Flags& flags);
// The HS256 secret from the auth flags, for a service that mints its own tokens to call
// other services.
absl::StatusOr<std::string> ServiceSecret(const Flags& flags);

}  // namespace bdtx::server

#endif  // BDTX_COMMON_SERVER_SERVER_H_
