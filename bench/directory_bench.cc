// Hand-run benchmark of the directory's routing lookups over gRPC (not in CI).
// Against a running bdtx-directory, in one run: the no-op rate (grpc.health.v1 Check)
// and the RouteDocument rate at the same concurrency, with latency percentiles.
//
// Usage: directory_bench --addr=127.0.0.1:7101 --key_file=./data/auth.key
//                        [--seconds=5] [--concurrency=64]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bench/bench_util.h"
#include "common/auth/jwt.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace {

struct Result {
  double rate = 0;
  absl::Duration p50, p99, p999;
  int64_t errors = 0;
};

// Keeps `concurrency` calls in flight for `duration`; `start_call(done)` issues one call
// and invokes done(status) when it completes.
Result Drive(int concurrency, absl::Duration duration,
             const std::function<void(std::function<void(const grpc::Status&)>)>& start_call) {
  std::mutex mu;
  std::vector<absl::Duration> latencies;
  std::atomic<int64_t> errors{0};
  std::atomic<bool> stop{false};
  std::atomic<int> in_flight{0};
  absl::Notification drained;
  std::function<void()> issue = [&]() {
    const absl::Time t0 = absl::Now();
    ++in_flight;
    start_call([&, t0](const grpc::Status& s) {
      const absl::Duration d = absl::Now() - t0;
      if (!s.ok()) ++errors;
      {
        std::lock_guard<std::mutex> lock(mu);
        latencies.push_back(d);
      }
      if (!stop.load()) {
        issue();
      }
      if (--in_flight == 0 && stop.load()) drained.Notify();
    });
  };
  const absl::Time start = absl::Now();
  for (int i = 0; i < concurrency; ++i) issue();
  absl::SleepFor(duration);
  stop = true;
  double seconds;
  size_t count;
  {
    std::lock_guard<std::mutex> lock(mu);
    seconds = absl::ToDoubleSeconds(absl::Now() - start);
    count = latencies.size();
  }
  drained.WaitForNotificationWithTimeout(absl::Seconds(30));
  std::lock_guard<std::mutex> lock(mu);
  std::vector<absl::Duration> measured(latencies.begin(), latencies.begin() + count);
  const bdtx::bench::Percentiles p = bdtx::bench::ComputePercentiles(measured);
  Result r;
  r.rate = count / seconds;
  r.p50 = p.p50;
  r.p99 = p.p99;
  r.p999 = p.p999;
  r.errors = errors.load();
  return r;
}

void Print(const char* what, const Result& r) {
  std::printf("%-16s %10.0f calls/s  p50 %-10s p99 %-10s p999 %-10s errors %lld\n", what, r.rate,
              absl::FormatDuration(r.p50).c_str(), absl::FormatDuration(r.p99).c_str(),
              absl::FormatDuration(r.p999).c_str(), static_cast<long long>(r.errors));
}

}  // namespace

int main(int argc, char** argv) {
  const bdtx::server::Flags flags = bdtx::bench::ParseFlagsOrExit(argc, argv,
                                                                  {{"addr", "127.0.0.1:7101"},
                                                                   {"seconds", "5"},
                                                                   {"concurrency", "64"},
                                                                   {"key_file", "./data/auth.key"},
                                                                   {"rounds", "3"}});
  const std::string addr = flags.Get("addr");
  const int seconds = static_cast<int>(bdtx::bench::IntFlag(flags, "seconds"));
  const int concurrency = static_cast<int>(bdtx::bench::IntFlag(flags, "concurrency"));
  auto key = bdtx::auth::ReadKeyFile(flags.Get("key_file"));
  if (!key.ok()) {
    std::fprintf(stderr, "%s\n", key.status().ToString().c_str());
    return 1;
  }
  bdtx::auth::Claims claims;
  claims.subject = "services/directory-bench";
  claims.roles = {"SYSTEM_ADMIN"};
  claims.issuer = claims.audience = "bdtx";
  claims.expires_at = absl::Now() + absl::Hours(1);
  const std::string token = *bdtx::auth::MintJwt(claims, {bdtx::auth::JwtAlgorithm::kHs256, *key});

  auto channel = grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
  auto directory = bdtx::v1::Directory::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);

  // Authors: every core member the directory knows (up to 50,000).
  std::vector<std::string> authors;
  for (bdtx::v1::Role role : {bdtx::v1::CORE_TEACHER, bdtx::v1::CORE_MANAGER}) {
    std::string page_token;
    do {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + token);
      bdtx::v1::ListPeopleRequest req;
      req.set_role(role);
      req.set_page_size(1000);
      req.set_page_token(page_token);
      bdtx::v1::ListPeopleResponse resp;
      grpc::Status s = directory->ListPeople(&ctx, req, &resp);
      if (!s.ok()) {
        std::fprintf(stderr, "ListPeople: %s\n", s.error_message().c_str());
        return 1;
      }
      for (const auto& p : resp.people()) authors.push_back(p.name());
      page_token = resp.next_page_token();
    } while (!page_token.empty() && authors.size() < 50000);
  }
  if (authors.empty()) {
    std::fprintf(stderr, "no core members in the directory; load the demo first\n");
    return 1;
  }
  std::printf("directory %s: %zu core members; %d calls in flight, %d s per phase\n", addr.c_str(),
              authors.size(), concurrency, seconds);

  int rounds = static_cast<int>(bdtx::bench::IntFlag(flags, "rounds"));
  // Warm-up (caches, connections), then alternate the two phases so drift in the
  // machine's speed hits both alike; report each round and the median ratio.
  std::vector<double> ratios;
  int64_t route_errors = 0;
  for (int round = 0; round <= rounds; ++round) {
    const absl::Duration phase = round == 0 ? absl::Seconds(1) : absl::Seconds(seconds);
    const Result noop = Drive(concurrency, phase, [&](auto done) {
      struct Call {
        grpc::ClientContext ctx;
        grpc::health::v1::HealthCheckRequest req;
        grpc::health::v1::HealthCheckResponse resp;
      };
      auto* call = new Call;
      health->async()->Check(&call->ctx, &call->req, &call->resp, [call, done](grpc::Status s) {
        delete call;
        done(s);
      });
    });
    std::atomic<uint64_t> n{0};
    const int modules[] = {4, 5, 9};
    const Result route = Drive(concurrency, phase, [&](auto done) {
      struct Call {
        grpc::ClientContext ctx;
        bdtx::v1::RouteDocumentRequest req;
        bdtx::v1::Routing resp;
      };
      auto* call = new Call;
      const uint64_t i = n++;
      call->ctx.AddMetadata("authorization", "Bearer " + token);
      call->req.set_author(authors[(i * 7919) % authors.size()]);
      call->req.set_kind(i % 2 ? bdtx::v1::PLAN : bdtx::v1::REPORT);
      call->req.set_year(2023);
      call->req.set_module(modules[i % 3]);
      directory->async()->RouteDocument(&call->ctx, &call->req, &call->resp,
                                        [call, done](grpc::Status s) {
                                          delete call;
                                          done(s);
                                        });
    });
    if (round == 0) continue;  // warm-up
    std::printf("round %d\n", round);
    Print("health Check", noop);
    Print("RouteDocument", route);
    std::printf("RouteDocument / health = %.2f\n", route.rate / noop.rate);
    ratios.push_back(route.rate / noop.rate);
    route_errors += route.errors;
  }
  std::sort(ratios.begin(), ratios.end());
  std::printf("median RouteDocument / health over %d rounds = %.2f (target >= 0.5)\n", rounds,
              ratios[ratios.size() / 2]);
  return route_errors == 0 ? 0 : 1;
}
