#include "common/server/server.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/token_auth_processor.h"
#include "common/clock/clock.h"
#include "common/server/admin_service.h"
#include "common/server/logging.h"
#include "common/server/metrics.h"
#include "common/server/trace.h"
#include "common/validation/edge.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/channel_arguments.h"

namespace bdtx::server {

Server::~Server() {
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
  }
}

absl::Status Server::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (!options_.tls_cert_file.empty() && !options_.tls_key_file.empty()) {
    auto cert = auth::ReadKeyFile(options_.tls_cert_file);
    if (!cert.ok()) return cert.status();
    auto key = auth::ReadKeyFile(options_.tls_key_file);
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    credentials = grpc::SslServerCredentials(ssl);
  } else if (options_.auth_processor) {
    // Local credentials accept loopback peers only, and (unlike insecure ones) run an
    // AuthMetadataProcessor. Off loopback, configure TLS.
    credentials = grpc::experimental::LocalServerCredentials(LOCAL_TCP);
  } else {
    credentials = grpc::InsecureServerCredentials();
  }
  if (options_.auth_processor) credentials->SetAuthMetadataProcessor(options_.auth_processor);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen_address, credentials, &port_);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  // Every request is validated and NFC-normalised before its handler runs (ADR 008).
  for (grpc::Service* service : services_) {
    validation::GuardService(service);
    builder.RegisterService(service);
  }
  // The edge interceptor first: it turns an undecodable request's answer into
  // INVALID_ARGUMENT before the metrics interceptor counts the call's code.
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators =
      validation::EdgeInterceptors();
  if (options_.interceptors) {
    for (auto& creator : options_.interceptors()) creators.push_back(std::move(creator));
  }
  builder.experimental().SetInterceptorCreators(std::move(creators));
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen_address,
                                               " (address in use or not local?)"));
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  return absl::OkStatus();
}

void Server::SetServing(bool serving) {
  server_->GetHealthCheckService()->SetServingStatus(serving);
}

std::string Server::address() const {
  const std::string& listen = options_.listen_address;
  const size_t colon = listen.rfind(':');
  return absl::StrCat(colon == std::string::npos ? listen : listen.substr(0, colon), ":", port_);
}

void Server::WaitForShutdown() {
  shutdown_requested_.WaitForNotification();
  // Load balancers and health probes see NOT_SERVING first; then in-flight calls
  // finish while new ones are refused.
  server_->GetHealthCheckService()->SetServingStatus(false);
  if (options_.on_drain) options_.on_drain();
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(options_.drain_timeout));
  server_->Wait();
  server_.reset();
}

namespace {

int signal_pipe[2] = {-1, -1};

void OnShutdownSignal(int) {
  const char byte = 'T';
  [[maybe_unused]] ssize_t n = write(signal_pipe[1], &byte, 1);
}

}  // namespace

ShutdownSignals::ShutdownSignals(Server* server) {
  if (pipe2(signal_pipe, O_CLOEXEC) != 0) std::abort();
  struct sigaction action = {};
  action.sa_handler = OnShutdownSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  watcher_ = std::thread([server] {
    char byte = 0;
    while (read(signal_pipe[0], &byte, 1) == 1) {
      if (byte == 'T') {
        LogInfo("shutdown signal received");
        server->RequestShutdown();
      } else {
        return;  // 'Q': the ShutdownSignals object is going away
      }
    }
  });
}

ShutdownSignals::~ShutdownSignals() {
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  const char byte = 'Q';
  [[maybe_unused]] ssize_t n = write(signal_pipe[1], &byte, 1);
  watcher_.join();
  close(signal_pipe[0]);
  close(signal_pipe[1]);
}

ServiceRunner::ServiceRunner(std::string service_name, int default_port)
    : service_name_(std::move(service_name)) {
  flags_.Define("listen", absl::StrCat("127.0.0.1:", default_port),
                "address:port for gRPC (port 0 picks a free one)");
  flags_.Define("data_dir", absl::StrCat("./data/", service_name_),
                "directory of this service's own RocksDB data");
  flags_.Define("min_free_disk_mb", "64",
                "writes are refused (RESOURCE_EXHAUSTED) while the disk of --data_dir has less "
                "free space than this, and resume by themselves when it has more");
  flags_.Define("drain_timeout", "10s",
                "on SIGTERM, how long in-flight calls may run before they are cancelled");
  flags_.Define("tls_cert_file", "", "PEM certificate; with --tls_key_file the server uses TLS");
  flags_.Define("tls_key_file", "", "PEM private key of --tls_cert_file");
  flags_.Define("peer_tls_ca_file", "",
                "PEM CA of the other bdtx services this one calls; set: calls use TLS, "
                "empty: plain calls (loopback only)");
  flags_.Define("metrics_listen", "",
                "address:port of the Prometheus /metrics endpoint; empty: 127.0.0.1 at "
                "--listen's port + 2000 (a free port when --listen's is 0); off: none");
  flags_.Define("health_listen", "",
                "address:port of a plaintext server with only grpc.health.v1, for "
                "Kubernetes gRPC probes (which cannot speak TLS); empty: none");
  DefineAuthFlags(flags_);
}

namespace {

// --metrics_listen's value, its default filled in from --listen.
absl::StatusOr<std::string> MetricsAddress(const Flags& flags) {
  const std::string& explicit_address = flags.Get("metrics_listen");
  if (!explicit_address.empty()) return explicit_address;
  const std::string& listen = flags.Get("listen");
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535 - 2000) {
    return absl::InvalidArgumentError(absl::StrCat("cannot derive --metrics_listen from --listen=",
                                                   listen, "; set --metrics_listen (or off)"));
  }
  return absl::StrCat("127.0.0.1:", port == 0 ? 0 : port + 2000);
}

}  // namespace

std::shared_ptr<grpc::ChannelCredentials> ServiceRunner::PeerCredentials() const {
  if (peer_ca_.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = peer_ca_;
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::Channel> ServiceRunner::PeerChannel(const std::string& address) const {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(kPeerReconnectMaxBackoff)));
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(NewClientMetricsInterceptorFactory(MetricsRegistry()));
  interceptors.push_back(NewClientTraceInterceptorFactory());
  return grpc::experimental::CreateCustomChannelWithInterceptors(address, PeerCredentials(), args,
                                                                 std::move(interceptors));
}

void DefineAuthFlags(Flags& flags) {
  flags.Define("auth_key_file", "./data/auth.key",
               "HS256 secret for bearer tokens (created with a random key if missing)");
  flags.Define("auth_key", "",
               "HS256 secret itself, instead of --auth_key_file (use the env var, e.g. "
               "from a Kubernetes Secret, not the flag)");
  flags.Define("auth_rs256_public_key_file", "", "PEM public key; accept RS256 tokens too");
  flags.Define("auth_issuer", "bdtx", "required token issuer (iss)");
  flags.Define("auth_audience", "bdtx", "required token audience (aud)");
  // Ministry single sign-on (ADR 015): RS256 tokens of an OpenID Connect issuer.
  flags.Define("oidc_jwks_file", "", "JWKS of the OpenID Connect issuer (empty: no SSO)");
  flags.Define("oidc_issuer", "", "required iss of single sign-on tokens");
  flags.Define("oidc_audience", "", "required aud of single sign-on tokens (bdtx's client id)");
  flags.Define("oidc_person_claim", "bdtx_person",
               "claim of single sign-on tokens holding the bdtx person id");
  flags.Define("oidc_jwks_reload_interval", "1m",
               "an unknown kid re-reads the JWKS file at most this often");
}

absl::StatusOr<std::string> ServiceSecret(const Flags& flags) {
  if (!flags.Get("auth_key").empty()) return flags.Get("auth_key");
  if (flags.Get("auth_key_file").empty()) {
    return absl::FailedPreconditionError("calling other services needs an HS256 key");
  }
  return auth::ReadOrCreateDevKey(flags.Get("auth_key_file"));
}

absl::StatusOr<auth::JwtVerifier> VerifierFromFlags(const Flags& flags) {
  auth::JwtVerifier::Options options;
  options.issuer = flags.Get("auth_issuer");
  options.audience = flags.Get("auth_audience");
  if (!flags.Get("auth_key").empty()) {
    options.hs256_secret = flags.Get("auth_key");
  } else if (!flags.Get("auth_key_file").empty()) {
    auto secret = auth::ReadOrCreateDevKey(flags.Get("auth_key_file"));
    if (!secret.ok()) return secret.status();
    options.hs256_secret = *std::move(secret);
  }
  if (!flags.Get("oidc_jwks_file").empty()) {
    options.oidc.jwks_file = flags.Get("oidc_jwks_file");
    options.oidc.issuer = flags.Get("oidc_issuer");
    options.oidc.audience = flags.Get("oidc_audience");
    options.oidc.person_claim = flags.Get("oidc_person_claim");
    auto interval = flags.GetDuration("oidc_jwks_reload_interval");
    if (!interval.ok()) return interval.status();
    options.oidc.reload_interval = *interval;
  }
  if (!flags.Get("auth_rs256_public_key_file").empty()) {
    auto pem = auth::ReadKeyFile(flags.Get("auth_rs256_public_key_file"));
    if (!pem.ok()) return pem.status();
    options.rs256_public_key_pem = *std::move(pem);
  }
  return auth::JwtVerifier::Create(std::move(options));
}

ServiceRunner::~ServiceRunner() = default;

absl::Status ServiceRunner::Init(int argc, char** argv) {
  SetLogServiceName(service_name_);
  // absl::Mutex's deadlock detector walks a lock graph on every contended lock; the
  // approvals benchmark showed it in profiles. Tests (debug builds) keep it on.
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  absl::Status parsed = flags_.Parse(argc, argv, ProcessEnvironment());
  if (flags_.help_requested()) {
    std::fputs(flags_.Usage(argv[0]).c_str(), stdout);
    std::exit(0);
  }
  if (!parsed.ok()) return parsed;
  if (absl::Status s = flags_.GetDuration("drain_timeout").status(); !s.ok()) return s;
  if (!flags_.Get("peer_tls_ca_file").empty()) {
    auto ca = auth::ReadKeyFile(flags_.Get("peer_tls_ca_file"));
    if (!ca.ok()) return ca.status();
    peer_ca_ = *std::move(ca);
  }
  if (auth_enabled_) {
    auto verifier = VerifierFromFlags(flags_);
    if (!verifier.ok()) return verifier.status();
    authenticator_ = std::make_shared<auth::Authenticator>(*std::move(verifier), &RealClock());
    auth::SetProcessAuthenticator(authenticator_);
    auth_processor_ = std::make_shared<auth::TokenAuthProcessor>(authenticator_);
    if (flags_.Has("directory")) {
      // Every service that talks to the directory resolves people's roles from it,
      // cached and emptied by its change stream (ADR 012).
      auto secret = ServiceSecret(flags_);
      if (!secret.ok()) return secret.status();
      directory_stub_ = bdtx::v1::Directory::NewStub(PeerChannel(flags_.Get("directory")));
      directory_token_ =
          std::make_unique<auth::ServiceToken>(service_name_, *std::move(secret), &RealClock());
      roles_source_ = std::make_unique<clients::DirectoryRolesSource>(directory_stub_.get(),
                                                                      directory_token_.get());
      // Misses are refused at once for 2 s after a lookup found the directory down (as
      // long as one lookup may wait), or until its change stream speaks again; then
      // one caller probes it.
      roles_cache_ = std::make_unique<auth::CurrentRolesCache>(
          roles_source_.get(), &RealClock(),
          auth::CurrentRolesCache::Options{.fail_fast_for = absl::Seconds(2)});
      directory_watcher_ = std::make_unique<clients::DirectoryWatcher>(
          directory_stub_.get(), directory_token_.get(), roles_cache_.get());
      SetRolesResolver(roles_cache_.get());
    }
  }
  return absl::OkStatus();
}

void ServiceRunner::SetRolesResolver(auth::RolesResolver* resolver) {
  if (authenticator_) authenticator_->SetRolesResolver(resolver);
  has_roles_resolver_ = true;
}

void ServiceRunner::OnDirectoryChange(std::function<void()> listener) {
  if (directory_watcher_) directory_watcher_->AddListener(std::move(listener));
}

absl::StatusOr<eventstore::RocksDbEventStore*> ServiceRunner::OpenEventStore() {
  if (!store_) {
    const std::string path = data_dir() + "/events";
    auto reserve = flags_.GetInt("min_free_disk_mb");
    if (!reserve.ok()) return reserve.status();
    if (*reserve < 0) return absl::InvalidArgumentError("--min_free_disk_mb must be >= 0");
    if (!store_metrics_) store_metrics_ = std::make_shared<EventStoreMetrics>(MetricsRegistry());
    eventstore::EventStoreOptions store_options;
    store_options.observer = store_metrics_;
    store_options.min_free_disk_bytes = static_cast<uint64_t>(*reserve) << 20;
    auto store = eventstore::RocksDbEventStore::Open(path, store_options);
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    store_metrics_->Attach(store_.get());
    LogInfo("event store opened",
            {{"path", path}, {"last_position", absl::StrCat(store_->LastPosition())}});
  }
  return store_.get();
}

int ServiceRunner::Run() {
  if (auth_enabled_ && !has_roles_resolver_ && !trust_token_roles_) {
    return Fail(absl::FailedPreconditionError(
        "no source of people's current roles: define a --directory flag or call "
        "SetRolesResolver (ADR 012)"));
  }
  Server::Options options;
  options.listen_address = flags_.Get("listen");
  options.drain_timeout = *flags_.GetDuration("drain_timeout");
  options.auth_processor = auth_enabled_ ? auth_processor_ : nullptr;
  options.tls_cert_file = flags_.Get("tls_cert_file");
  options.tls_key_file = flags_.Get("tls_key_file");
  options.interceptors = [] {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> list;
    list.push_back(NewServerMetricsInterceptorFactory(MetricsRegistry()));
    list.push_back(NewServerTraceInterceptorFactory());
    return list;
  };
  std::unique_ptr<MetricsServer> metrics;
  if (flags_.Get("metrics_listen") != "off") {
    absl::StatusOr<std::string> address = MetricsAddress(flags_);
    if (!address.ok()) return Fail(address.status());
    std::vector<std::shared_ptr<prometheus::Collectable>> sources = {SharedMetricsRegistry()};
    if (store_metrics_) sources.push_back(store_metrics_->collectable());
    sources.insert(sources.end(), metrics_sources_.begin(), metrics_sources_.end());
    auto started = MetricsServer::Start(*address, std::move(sources));
    if (!started.ok()) return Fail(started.status());
    metrics = *std::move(started);
  }
  // The probe server: plaintext, health only, SERVING exactly while the main one is.
  std::unique_ptr<Server> health;
  if (!flags_.Get("health_listen").empty()) {
    Server::Options health_options;
    health_options.listen_address = flags_.Get("health_listen");
    health_options.drain_timeout = absl::ZeroDuration();
    health = std::make_unique<Server>(health_options);
    if (absl::Status s = health->Start(); !s.ok()) return Fail(s);
    health->SetServing(false);
  }
  options.on_drain = [this, h = health.get()] {
    if (h != nullptr) h->SetServing(false);
    for (auto& stop : on_drain_) stop();
  };
  Server server(options);
  for (grpc::Service* service : services_) server.AddService(service);
  // Backups of the store (bdtxctl admin backup), on every service that has one.
  std::unique_ptr<AdminService> admin;
  if (store_) {
    admin = std::make_unique<AdminService>(service_name_, store_.get(), data_dir(), backup_stores_);
    server.AddService(admin.get());
  }
  if (absl::Status s = server.Start(); !s.ok()) return Fail(s);
  if (health) health->SetServing(true);
  ShutdownSignals signals(&server);
  LogInfo("listening", {{"address", server.address()},
                        {"port", absl::StrCat(server.port())},
                        {"metrics_port", metrics ? absl::StrCat(metrics->port()) : "off"},
                        {"health_port", health ? absl::StrCat(health->port()) : "off"},
                        {"data_dir", data_dir()}});
  // Health follows the event store: NOT_SERVING while it refuses appends (a full disk),
  // SERVING again when it accepts them, so orchestrators and load balancers see it; reads
  // are served throughout.
  absl::Notification stop_health;
  std::thread store_health_watch([&, probe = health.get()] {
    bool serving = true;
    while (!stop_health.WaitForNotificationWithTimeout(absl::Milliseconds(250))) {
      const absl::Status store_health = store_ ? store_->Health() : absl::OkStatus();
      if (serving != store_health.ok()) {
        serving = store_health.ok();
        if (serving) {
          LogInfo("event store accepts writes again; health is SERVING");
        } else {
          LogError("event store refuses writes; health is NOT_SERVING",
                   {{"error", store_health.ToString()}});
        }
        server.SetServing(serving);
        if (probe != nullptr) probe->SetServing(serving);
      }
    }
  });
  server.WaitForShutdown();
  stop_health.Notify();
  store_health_watch.join();
  LogInfo("drained; in-flight calls finished");
  metrics.reset();  // scrapes read the store and what stops below
  for (auto& stop : before_store_closes_) stop();
  directory_watcher_.reset();
  if (store_) {
    if (store_metrics_) store_metrics_->Attach(nullptr);
    store_.reset();
    LogInfo("event store closed");
  }
  LogInfo("stopped");
  return 0;
}

int ServiceRunner::Fail(const absl::Status& status) {
  LogError("cannot start", {{"error", status.ToString()}});
  return 1;
}

}  // namespace bdtx::server
