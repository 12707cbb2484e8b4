// The HTTP front door (ADR 014): Boost.Beast HTTP/1.1 on a few Asio threads, each
// request turned into one gRPC call to a backend through grpc::GenericStub (so it
// serves every annotated method without per-method code):
//   - REST/JSON on the google.api.http routes (transcoder.h); server-streaming
//     methods as Server-Sent Events, or raw bytes when the rule names a
//     response_body; client-streaming uploads streamed chunk by chunk;
//   - gRPC-Web (application/grpc-web[+proto], application/grpc-web-text) at
//     POST /{package.Service}/{Method} for every method of the configured services;
//   - /healthz, /readyz (every backend's grpc.health.v1), /metrics (Prometheus),
//     /openapi.json and /docs (Swagger UI from npm, served from a local folder);
//   - the web console (static_site.h) at / for every other GET.
// Stateless: the caller's bearer token is forwarded; the backends authorise.
// Thread-safe; Start once, Shutdown once.
#ifndef BDTX_SERVICES_GATEWAY_GATEWAY_H_
#define BDTX_SERVICES_GATEWAY_GATEWAY_H_

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/gateway/static_site.h"
#include "services/gateway/transcoder.h"

namespace bdtx::gateway {

struct GatewayOptions {
  std::string listen_host = "127.0.0.1";
  int listen_port = 8080;  // 0: kernel-chosen
  // Backend address per service full name ("bdtx.v1.Plans" → "127.0.0.1:7102").
  // Resolved from configuration (ADR 016): a later step maps a province to a shard.
  std::map<std::string, std::string> backends;
  // PEM of the CA the backends' certificates chain to; empty: plaintext (loopback only,
  // as the services accept plaintext only there).
  std::string backend_ca_pem;
  std::set<std::string> cors_origins;  // exact origins ("https://bdtx.example.vn")
  size_t max_body_bytes = 1 << 20;     // JSON and gRPC-Web bodies
  size_t max_upload_bytes = 25 << 20;  // streamed uploads (plans' attachment limit is lower)
  double rate_per_second = 50;         // per client address; 0 disables
  double rate_burst = 100;
  // Peers (load balancers) whose X-Forwarded-For names the client for rate limits.
  std::set<std::string> trusted_proxies;
  absl::Duration call_timeout = absl::Seconds(30);  // unary calls
  int threads = 2;
  std::string openapi_json;  // served at /openapi.json (OpenApiDocument of the routes)
  // swagger-ui-dist's folder (npm), served at /docs; empty: /docs is 404.
  std::string docs_dir;
  // The web console's built files (--console_dir), served at / for GET and HEAD outside
  // /v1/; null: those paths are 404.
  std::shared_ptr<const StaticSite> console;
};

class Gateway {
 public:
  Gateway(GatewayOptions options, RouteTable routes);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds and starts serving; returns the bound port.
  absl::StatusOr<int> Start();
  // Stops accepting, closes connections, joins the threads.
  void Shutdown();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace bdtx::gateway

#endif  // BDTX_SERVICES_GATEWAY_GATEWAY_H_
