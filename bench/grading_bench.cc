// Hand-run load tool for the grading service (not in CI).
//
// Setup (idempotent): imports the learners' module 1-3 history, enrols every demo class
// of 2023 (modules 4, 5, 9), submits every final assignment. Then alternates, per round,
// a phase of health Checks (the no-op baseline) and a phase of Grade calls by the
// classes' graders (cycling over every assignment: a regrade inside the window is a
// real, WAL-synced transition), K calls in flight each. Finally times ListStatistics
// for the whole province.
//
// Needs run-local's directory (demo province) and a grading service with the same key:
//   grading_bench --grading=127.0.0.1:7104 --directory=127.0.0.1:7101
//                 --key_file=./data/auth.key [--concurrency=64] [--seconds=5] [--rounds=3]
//                 [--pids=grading:PID]  (CPU per call of each)
#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "bench/bench_services.h"
#include "bench/bench_util.h"
#include "common/auth/jwt.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

using bdtx::bench::Drive;
using bdtx::bench::Print;
using bdtx::bench::Stats;

int main(int argc, char** argv) {
  const bdtx::server::Flags flags = bdtx::bench::ParseFlagsOrExit(argc, argv,
                                                                  {{"grading", "127.0.0.1:7104"},
                                                                   {"directory", "127.0.0.1:7101"},
                                                                   {"concurrency", "64"},
                                                                   {"seconds", "5"},
                                                                   {"rounds", "3"},
                                                                   {"key_file", "./data/auth.key"},
                                                                   {"province", "units/so-bp"},
                                                                   {"pids", ""}});
  bdtx::bench::CpuMeter cpu = bdtx::bench::CpuMeterOrExit(flags.Get("pids"));
  const int concurrency = static_cast<int>(bdtx::bench::IntFlag(flags, "concurrency"));
  const int seconds = static_cast<int>(bdtx::bench::IntFlag(flags, "seconds"));
  const int rounds = static_cast<int>(bdtx::bench::IntFlag(flags, "rounds"));
  auto key = bdtx::auth::ReadKeyFile(flags.Get("key_file"));
  if (!key.ok()) {
    std::fprintf(stderr, "%s\n", key.status().ToString().c_str());
    return 1;
  }
  auto mint = [&](const std::string& name, std::vector<std::string> roles,
                  const std::string& unit) {
    bdtx::auth::Claims c;
    c.subject = name;
    c.roles = std::move(roles);
    c.unit = unit;
    c.issuer = c.audience = "bdtx";
    c.expires_at = absl::Now() + absl::Hours(4);
    return *bdtx::auth::MintJwt(c, {bdtx::auth::JwtAlgorithm::kHs256, *key});
  };
  const std::string admin = mint("people/grading-bench", {"SYSTEM_ADMIN"}, "");
  auto directory = bdtx::v1::Directory::NewStub(
      grpc::CreateChannel(flags.Get("directory"), grpc::InsecureChannelCredentials()));
  auto channel = grpc::CreateChannel(flags.Get("grading"), grpc::InsecureChannelCredentials());
  auto grading = bdtx::v1::Grading::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);
  auto context = [](const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
    return ctx;
  };

  // The demo classes and their people.
  struct Assignment {
    std::string name, grader_token;
  };
  std::vector<std::string> classes;
  std::vector<Assignment> assignments;
  std::map<std::string, std::string> grader_tokens;
  std::string lms = "learner_id,year,module,result\n";
  for (int module : {4, 5, 9}) {
    for (int c = 1; c <= 120; ++c) {
      bdtx::v1::GetClassRequest req;
      req.set_name(absl::StrFormat("classes/lop-2023-m%d-%03d", module, c));
      bdtx::v1::Class cls;
      grpc::Status s = directory->GetClass(context(admin).get(), req, &cls);
      if (!s.ok()) {
        std::fprintf(stderr, "%s: %s (load the demo province first)\n", req.name().c_str(),
                     s.error_message().c_str());
        return 1;
      }
      classes.push_back(cls.name());
      for (const std::string& g : cls.graders()) {
        if (!grader_tokens.count(g)) grader_tokens[g] = mint(g, {"CORE_TEACHER", "REPORTER"}, "");
      }
      for (int i = 0; i < cls.learners_size(); ++i) {
        const std::string& l = cls.learners(i);
        assignments.push_back({absl::StrCat(cls.name(), "/assignments/", l.substr(7)),
                               grader_tokens[cls.graders(i % cls.graders_size())]});
        if (module == 4) {
          for (int m = 1; m <= 3; ++m)
            absl::StrAppend(&lms, l.substr(7), ",2021,", m, ",recognised\n");
        }
      }
    }
  }
  const absl::Time setup = absl::Now();
  {
    bdtx::v1::ImportLmsResultsRequest req;
    req.set_format(bdtx::v1::CSV);
    req.set_file_name("bench-lms-prior.csv");
    req.set_content(lms);
    bdtx::v1::ImportLmsResultsResponse resp;
    grpc::Status s = grading->ImportLmsResults(context(admin).get(), req, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "LMS import: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  const std::string today =
      absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(72), absl::FixedTimeZone(7 * 3600));
  int enrolled = 0;
  for (const std::string& cls : classes) {
    bdtx::v1::EnrollClassRequest req;
    req.set_class_name(cls);
    int y = 0, m = 0, d = 0;
    std::sscanf(today.c_str(), "%d-%d-%d", &y, &m, &d);
    req.mutable_start()->set_year(y);
    req.mutable_start()->set_month(m);
    req.mutable_start()->set_day(d);
    bdtx::v1::Run run;
    grpc::Status s = grading->EnrollClass(context(admin).get(), req, &run);
    if (s.ok()) ++enrolled;
    if (!s.ok() && s.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
      std::fprintf(stderr, "enrol %s: %s\n", cls.c_str(), s.error_message().c_str());
      return 1;
    }
  }
  Stats submits;
  Drive(concurrency, absl::Hours(1), static_cast<int64_t>(assignments.size()), submits,
        [&](int64_t i, std::function<void(grpc::Status)> done) {
          struct Call {
            grpc::ClientContext ctx;
            bdtx::v1::SubmitAssignmentRequest req;
            bdtx::v1::Assignment resp;
          };
          auto call = std::make_shared<Call>();
          call->ctx.AddMetadata("authorization", "Bearer " + admin);
          const std::string& name = assignments[i].name;
          call->req.set_class_name(name.substr(0, name.find("/assignments/")));
          call->req.set_learner("people/" + name.substr(name.rfind('/') + 1));
          call->req.set_file_ref("lms://final/" + name);
          call->req.set_sha256(std::string(64, 'f'));
          call->req.set_request_id("bench-submit-" + name);
          grading->async()->SubmitAssignment(
              &call->ctx, &call->req, &call->resp, [call, done](grpc::Status s) {
                // Graded earlier runs: nothing to submit.
                if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
                  s = grpc::Status::OK;
                }
                done(s);
              });
        });
  std::printf("setup: %zu classes (%d newly enrolled), %zu assignments submitted in %.1f s\n",
              classes.size(), enrolled, assignments.size(),
              absl::ToDoubleSeconds(absl::Now() - setup));
  Print("submissions", submits, absl::ToDoubleSeconds(absl::Now() - setup));

  std::vector<double> ratios;
  std::atomic<int64_t> cursor{0};
  for (int round = 1; round <= rounds; ++round) {
    Stats noop, grades;
    cpu.Start();
    bdtx::bench::DriveHealthChecks(*health, concurrency, absl::Seconds(seconds), noop);
    cpu.PerCall("health Check", noop.count());
    cpu.Start();
    Drive(concurrency, absl::Seconds(seconds), INT64_MAX, grades,
          [&](int64_t, std::function<void(grpc::Status)> done) {
            struct Call {
              grpc::ClientContext ctx;
              bdtx::v1::GradeRequest req;
              bdtx::v1::Assignment resp;
            };
            auto call = std::make_shared<Call>();
            const Assignment& a = assignments[cursor++ % assignments.size()];
            call->ctx.AddMetadata("authorization", "Bearer " + a.grader_token);
            call->req.set_assignment(a.name);
            call->req.set_verdict(cursor % 10 == 0 ? bdtx::v1::FAIL : bdtx::v1::PASS);
            call->req.set_has_score(true);
            call->req.set_score(7.5);
            grading->async()->Grade(&call->ctx, &call->req, &call->resp,
                                    [call, done](grpc::Status s) { done(s); });
          });
    cpu.PerCall("Grade", grades.count());
    std::printf("round %d\n", round);
    Print("health Check", noop, seconds);
    Print("Grade", grades, seconds);
    const double ratio = static_cast<double>(grades.count()) / noop.count();
    ratios.push_back(ratio);
    std::printf("Grade / health = %.2f\n", ratio);
  }
  std::sort(ratios.begin(), ratios.end());
  std::printf("median Grade / health over %d rounds = %.2f (target >= 0.4)\n", rounds,
              ratios[ratios.size() / 2]);

  // Statistics for the whole province and per district.
  Stats stats;
  bdtx::v1::ListStatisticsResponse last;
  for (int i = 0; i < 200; ++i) {
    bdtx::v1::ListStatisticsRequest req;
    req.set_unit(flags.Get("province"));
    req.set_children(i % 2 == 0);  // the last call is the province row itself
    req.set_year(2023);
    const absl::Time t0 = absl::Now();
    grpc::Status s = grading->ListStatistics(context(admin).get(), req, &last);
    stats.Add(absl::Now() - t0, s);
  }
  Print("ListStatistics", stats, 1);
  std::printf("province row: %s\n",
              last.statistics_size() ? last.statistics(0).ShortDebugString().c_str() : "");
  return 0;
}
