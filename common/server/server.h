// Server bootstrap shared by every service: a gRPC server (callback API) with the
// grpc.health.v1 health service and server reflection, graceful drain on SIGTERM,
// JSON logs, flags/env configuration and the service's own RocksDB event store.
//
// Example main.cc (wiring only):
//   int main(int argc, char** argv) {
//     bdtx::server::ServiceRunner runner("approvals", 7103);
//     if (absl::Status s = runner.Init(argc, argv); !s.ok()) return runner.Fail(s);
//     auto store = runner.OpenEventStore();
//     if (!store.ok()) return runner.Fail(store.status());
//     ApprovalsService service(*store);
//     runner.AddService(&service);
//     return runner.Run();   // until SIGTERM; then drains and closes the store
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
#include "common/auth/jwt.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "common/server/flags.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server.h"

namespace bdtx::server {

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
  };

  explicit Server(Options options) : options_(std::move(options)) {}
  ~Server();

  // REQUIRES: before Start(). `service` is not owned and must outlive the server.
  void AddService(grpc::Service* service) { services_.push_back(service); }

  // Binds and starts serving; health reports SERVING. UNAVAILABLE when the address
  // cannot be bound.
  absl::Status Start();

  int port() const { return port_; }
  // The bound address with the real port, e.g. "127.0.0.1:40123".
  std::string address() const;

  // Health as reported to grpc.health.v1 clients. REQUIRES: after Start().
  void SetServing(bool serving);

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
  // Defines --listen (127.0.0.1:<default_port>), --data_dir (./data/<service>) and
  // --drain_timeout (10s); add service flags through flags() before Init().
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
  // Serve without token verification. Only for test servers.
  void DisableAuthForTest() { auth_enabled_ = false; }

  // Opens (once) the service's event store in --data_dir/events.
  absl::StatusOr<eventstore::RocksDbEventStore*> OpenEventStore();
  const std::string& data_dir() const { return flags_.Get("data_dir"); }

  // REQUIRES: after Init(), before Run(). Not owned.
  void AddService(grpc::Service* service) { services_.push_back(service); }

  // `stop` runs after the server drained and before the event store closes: background
  // work that uses the store (consumers, timers) stops there. Called in the order added.
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
  bool auth_enabled_ = true;
  std::shared_ptr<grpc::AuthMetadataProcessor> auth_processor_;
  std::vector<std::function<void()>> before_store_closes_;
  std::string peer_ca_;
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
