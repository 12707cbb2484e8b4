// bdtx-gateway: the HTTP/JSON and gRPC-Web front door (ADR 014). Stateless: wiring of
// flags to the Gateway; backends from configuration (ADR 016).
#include <csignal>
#include <fstream>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/server/flags.h"
#include "common/server/logging.h"
#include "services/gateway/gateway.h"
#include "services/gateway/openapi.h"
#include "services/gateway/public_services.h"

namespace {

int Fail(const absl::Status& status) {
  bdtx::server::LogError("startup failed", {{"error", std::string(status.message())}});
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Signals are taken synchronously below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  bdtx::server::Flags flags;
  flags.Define("listen", "127.0.0.1:8080", "address:port to serve HTTP on");
  bdtx::server::DefineServiceAddressFlags(
      flags, {"directory", "plans", "approvals", "grading", "notifications", "support"});
  flags.Define("peer_tls_ca_file", "",
               "CA of the services' TLS certificates; when set, backend calls use TLS");
  flags.Define("cors_origins", "", "comma-separated browser origins allowed (CORS)");
  flags.Define("max_body_bytes", "1048576", "largest JSON or gRPC-Web request body (bytes)");
  flags.Define("max_upload_bytes", "26214400", "largest streamed upload (bytes)");
  flags.Define("rate_limit", "50", "requests per second per client address (0: off)");
  flags.Define("rate_burst", "100", "requests a client address may send at once");
  flags.Define("trusted_proxies", "",
               "comma-separated load balancer addresses whose X-Forwarded-For names the client");
  flags.Define("call_timeout", "30s", "deadline of each unary backend call");
  flags.Define("threads", "2", "HTTP I/O threads");
  flags.Define("docs_dir", "", "folder of npm swagger-ui-dist, served at /docs");
  flags.Define("console_dir", "",
               "the web console's built files (web/console/dist), served at /; empty: none");
  flags.Define("print_routes", "false", "print the REST routes (method and template) and exit");
  if (absl::Status s = flags.Parse(argc, argv, bdtx::server::ProcessEnvironment()); !s.ok()) {
    return Fail(s);
  }
  if (flags.help_requested()) {
    std::cout << flags.Usage("bdtx-gateway");
    return 0;
  }
  bdtx::gateway::GatewayOptions options;
  const std::string listen = flags.Get("listen");
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &options.listen_port) ||
      options.listen_port < 0 || options.listen_port > 65535) {
    return Fail(
        absl::InvalidArgumentError(absl::StrCat("--listen must be host:port, got '", listen, "'")));
  }
  options.listen_host = listen.substr(0, colon);
  for (const char* service :
       {"directory", "plans", "approvals", "grading", "notifications", "support"}) {
    std::string full = absl::StrCat("bdtx.v1.", service);
    full[8] = absl::ascii_toupper(full[8]);
    options.backends[full] = flags.Get(service);
  }
  // Sign-in is served by the directory process (ADR 015).
  options.backends["bdtx.v1.Sessions"] = flags.Get("directory");
  for (absl::string_view origin :
       absl::StrSplit(flags.Get("cors_origins"), ',', absl::SkipWhitespace())) {
    options.cors_origins.insert(std::string(absl::StripAsciiWhitespace(origin)));
  }
  for (absl::string_view proxy :
       absl::StrSplit(flags.Get("trusted_proxies"), ',', absl::SkipWhitespace())) {
    options.trusted_proxies.insert(std::string(absl::StripAsciiWhitespace(proxy)));
  }
  auto positive = [&](const char* name, auto* out) -> absl::Status {
    if (!absl::SimpleAtoi(flags.Get(name), out) || *out < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " must be a non-negative number, got '", flags.Get(name), "'"));
    }
    return absl::OkStatus();
  };
  for (auto s : {positive("max_body_bytes", &options.max_body_bytes),
                 positive("max_upload_bytes", &options.max_upload_bytes),
                 positive("threads", &options.threads)}) {
    if (!s.ok()) return Fail(s);
  }
  if (!absl::SimpleAtod(flags.Get("rate_limit"), &options.rate_per_second) ||
      options.rate_per_second < 0 ||
      !absl::SimpleAtod(flags.Get("rate_burst"), &options.rate_burst) || options.rate_burst < 1) {
    return Fail(absl::InvalidArgumentError("--rate_limit must be ≥ 0 and --rate_burst ≥ 1"));
  }
  if (const std::string ca = flags.Get("peer_tls_ca_file"); !ca.empty()) {
    std::ifstream in(ca);
    options.backend_ca_pem.assign(std::istreambuf_iterator<char>(in), {});
    if (!in.good() && !in.eof()) options.backend_ca_pem.clear();
    if (options.backend_ca_pem.empty()) {
      return Fail(absl::InvalidArgumentError(absl::StrCat("cannot read --peer_tls_ca_file ", ca)));
    }
  }
  auto timeout = flags.GetDuration("call_timeout");
  if (!timeout.ok()) return Fail(timeout.status());
  options.call_timeout = *timeout;

  auto routes = bdtx::gateway::RouteTable::Build(bdtx::gateway::PublicServices());
  if (!routes.ok()) return Fail(routes.status());
  if (flags.Get("print_routes") == "true") {
    for (const auto& route : routes->routes()) {
      std::cout << route.http_method << " " << route.path.text() << "\n";
    }
    return 0;
  }
  options.openapi_json = bdtx::gateway::OpenApiDocument(*routes);
  options.docs_dir = flags.Get("docs_dir");
  if (const std::string dir = flags.Get("console_dir"); !dir.empty()) {
    auto site = bdtx::gateway::StaticSite::Load(dir);
    if (!site.ok()) return Fail(site.status());
    options.console = *std::move(site);
  }
  const size_t route_count = routes->routes().size();
  bdtx::gateway::Gateway gateway(options, *std::move(routes));
  auto port = gateway.Start();
  if (!port.ok()) return Fail(port.status());
  bdtx::server::LogInfo("listening", {{"address", absl::StrCat(options.listen_host, ":", *port)},
                                      {"port", absl::StrCat(*port)},
                                      {"routes", absl::StrCat(route_count)}});
  int signal = 0;
  sigwait(&signals, &signal);
  bdtx::server::LogInfo("stopping", {{"signal", absl::StrCat(signal)}});
  gateway.Shutdown();
  return 0;
}
