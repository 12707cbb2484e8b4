// Starting the services a benchmark measures, from this build, in its own data
// directories (so a run never depends on, or disturbs, run-local's data).
#ifndef BDTX_BENCH_BENCH_SERVICES_H_
#define BDTX_BENCH_BENCH_SERVICES_H_

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bench/bench_util.h"
#include "common/auth/jwt.h"
#include "common/testing/service_process.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace bdtx::bench {

struct Started {
  std::unique_ptr<testing::ServiceProcess> process;
  std::string address;  // "127.0.0.1:{port}"
};

// Starts `binary` on a kernel-chosen loopback port; exits with its output on failure.
inline Started StartOrExit(const std::string& binary, std::vector<std::string> args) {
  args.insert(args.begin(), "--listen=127.0.0.1:0");
  auto p = testing::ServiceProcess::Start(binary, args);
  if (!p.ok()) {
    std::fprintf(stderr, "%s: %s\n", binary.c_str(), p.status().ToString().c_str());
    std::exit(1);
  }
  auto port = (*p)->WaitListening(absl::Seconds(120));
  if (!port.ok()) {
    std::fprintf(stderr, "%s: %s\n%s\n", binary.c_str(), port.status().ToString().c_str(),
                 (*p)->Output().c_str());
    std::exit(1);
  }
  return {*std::move(p), absl::StrCat("127.0.0.1:", *port)};
}

// Resident memory of a process in KiB (-1 when unknown).
inline int64_t RssKb(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

// A four-hour HS256 token for `name` with `roles`.
inline std::string MintToken(const std::string& key, const std::string& name,
                             std::vector<std::string> roles, const std::string& unit = "") {
  auth::Claims c;
  c.subject = name;
  c.roles = std::move(roles);
  c.unit = unit;
  c.issuer = c.audience = "bdtx";
  c.expires_at = absl::Now() + absl::Hours(4);
  return *auth::MintJwt(c, {auth::JwtAlgorithm::kHs256, key});
}

// The synthetic school the benchmarks import: a Sở, a Phòng, one THCS school with its
// principal, and a pedagogy university with one lecturer. Benchmarks add core teachers.
inline constexpr char kBenchUnits[] =
    "id,code,name,kind,parent_id,level,university_kind\n"
    "moet,BGDDT,Bộ Giáo dục và Đào tạo,ministry,,,\n"
    "so-bench,99,Sở GDĐT Bench,department,moet,,\n"
    "pgd-bench,,Phòng GDĐT Bench,district,so-bench,,\n"
    "thcs-bench,,Trường THCS Bench,school,pgd-bench,THCS,\n"
    "dhsp-bench,,Trường ĐHSP Bench,university,moet,,DHSP\n";
inline constexpr char kBenchPeopleHeader[] =
    "id,code,full_name,roles,home_unit_id,subject,level,email\n"
    "ht-bench,,Hiệu trưởng Bench,principal,thcs-bench,,THCS,\n"
    "gvsp-bench,,GVSP Bench,pedagogy_lecturer,dhsp-bench,,,\n";

// Imports (kind, CSV) files into the directory at `address`; exits on the first error.
inline void ImportOrExit(const std::string& address, const std::string& admin_token,
                         const std::vector<std::pair<v1::ImportKind, std::string>>& files) {
  auto stub =
      v1::Directory::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  for (const auto& [kind, csv] : files) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_token);
    v1::ImportCsvRequest req;
    req.set_kind(kind);
    req.set_file_name("bench.csv");
    req.set_content(csv);
    v1::ImportCsvResponse resp;
    if (grpc::Status s = stub->ImportCsv(&ctx, req, &resp); !s.ok()) {
      std::fprintf(stderr, "directory import: %s\n", s.error_message().c_str());
      std::exit(1);
    }
  }
}

// The no-op baseline: health Checks, `concurrency` in flight, for `duration`.
inline void DriveHealthChecks(grpc::health::v1::Health::Stub& health, int concurrency,
                              absl::Duration duration, Stats& stats) {
  Drive(concurrency, duration, INT64_MAX, stats,
        [&health](int64_t, std::function<void(grpc::Status)> done) {
          struct Call {
            grpc::ClientContext ctx;
            grpc::health::v1::HealthCheckRequest req;
            grpc::health::v1::HealthCheckResponse resp;
          };
          auto call = std::make_shared<Call>();
          health.async()->Check(&call->ctx, &call->req, &call->resp,
                                [call, done](grpc::Status s) { done(s); });
        });
}

}  // namespace bdtx::bench

#endif  // BDTX_BENCH_BENCH_SERVICES_H_
