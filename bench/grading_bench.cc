// Hand-run load tool for the grading service (not in CI).
//
// Setup (idempotent): imports the learners' module 1-3 history, enrols every demo class
// of 2023 (modules 4, 5, 9), submits every final assignment. With --grade_once=true,
// grades every assignment exactly once between two health phases (a national year with
// --provinces=63 on a national demo directory). Then alternates, per round,
// a phase of health Checks (the no-op baseline) and a phase of Grade calls by the
// classes' graders (cycling over every assignment: a regrade inside the window is a
// real, WAL-synced transition), K calls in flight each. Finally times ListStatistics
// for the whole province.
//
// Needs run-local's directory (demo province) and a grading service with the same key:
//   grading_bench --grading=127.0.0.1:7104 --directory=127.0.0.1:7101
//                 --key_file=./data/auth.key [--concurrency=64] [--seconds=5] [--rounds=3]
//                 [--pids=grading:PID]  (CPU per call of each)
//                 [--provinces=63 --grade_once=true --rounds=0]  (a national year)
//                 [--submit=false]  (assignments submitted by an earlier run: skip 3M calls)
#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
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
                                                                   {"pids", ""},
                                                                   {"provinces", "1"},
                                                                   {"grade_once", "false"},
                                                                   {"submit", "true"}});
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
  const std::string admin = mint("operators/grading-bench", {"SYSTEM_ADMIN"}, "");
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

  // The demo classes and their people: province 0 is Bình Phước (short ids), province
  // i > 0 of a national directory (`bdtxctl demo load --provinces 63`) prefixes its ids
  // with "p{i+1}-".
  const int provinces = static_cast<int>(bdtx::bench::IntFlag(flags, "provinces"));
  if (provinces < 1 || provinces > 63) {
    std::fprintf(stderr, "--provinces must be 1..63\n");
    return 2;
  }
  struct Assignment {
    std::string name;
    int grader = 0;  // index into grader_tokens (3M copies of a token would not fit)
  };
  std::vector<std::string> class_names;
  for (int p = 0; p < provinces; ++p) {
    const std::string prefix = p == 0 ? "" : absl::StrFormat("p%02d-", p + 1);
    for (int module : {4, 5, 9}) {
      for (int c = 1; c <= 120; ++c) {
        class_names.push_back(absl::StrFormat("classes/%slop-2023-m%d-%03d", prefix, module, c));
      }
    }
  }
  std::vector<bdtx::v1::Class> classes(class_names.size());
  {
    Stats lookups;
    Drive(16, absl::Hours(1), static_cast<int64_t>(class_names.size()), lookups,
          [&](int64_t i, std::function<void(grpc::Status)> done) {
            struct Call {
              std::unique_ptr<grpc::ClientContext> ctx;
              bdtx::v1::GetClassRequest req;
            };
            auto call = std::make_shared<Call>();
            call->ctx = context(admin);
            call->req.set_name(class_names[i]);
            directory->async()->GetClass(call->ctx.get(), &call->req, &classes[i],
                                         [call, done](grpc::Status s) { done(s); });
          });
    if (lookups.errors > 0) {
      std::fprintf(stderr, "directory classes: %s (load the demo first)\n",
                   lookups.first_error.c_str());
      return 1;
    }
  }
  std::vector<Assignment> assignments;
  std::vector<std::string> grader_tokens;
  std::map<std::string, int> grader_index;
  std::vector<std::string> lms_files(provinces, "learner_id,year,module,result\n");
  for (size_t k = 0; k < classes.size(); ++k) {
    const bdtx::v1::Class& cls = classes[k];
    std::vector<int> graders;
    for (const std::string& g : cls.graders()) {
      auto [it, added] = grader_index.emplace(g, static_cast<int>(grader_tokens.size()));
      if (added) grader_tokens.push_back(mint(g, {"CORE_TEACHER", "REPORTER"}, ""));
      graders.push_back(it->second);
    }
    const bool module4 = absl::StrContains(cls.name(), "-m4-");
    for (int i = 0; i < cls.learners_size(); ++i) {
      const std::string& l = cls.learners(i);
      assignments.push_back({absl::StrCat(cls.name(), "/assignments/", l.substr(7)),
                             graders[static_cast<size_t>(i) % graders.size()]});
      if (module4) {
        for (int m = 1; m <= 3; ++m) {
          absl::StrAppend(&lms_files[k / 360], l.substr(7), ",2021,", m, ",recognised\n");
        }
      }
    }
  }
  std::printf("%zu classes, %zu assignments, %zu graders in %d province(s)\n", classes.size(),
              assignments.size(), grader_tokens.size(), provinces);
  const absl::Time setup = absl::Now();
  for (int p = 0; p < provinces; ++p) {  // one file per province: each under gRPC's 4 MiB
    bdtx::v1::ImportLmsResultsRequest req;
    req.set_format(bdtx::v1::CSV);
    req.set_file_name(absl::StrCat("bench-lms-prior-", p, ".csv"));
    req.set_content(lms_files[p]);
    bdtx::v1::ImportLmsResultsResponse resp;
    grpc::Status s = grading->ImportLmsResults(context(admin).get(), req, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "LMS import: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  lms_files.clear();
  const std::string today =
      absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(72), absl::FixedTimeZone(7 * 3600));
  std::atomic<int> enrolled{0};
  {
    Stats enrolments;
    Drive(16, absl::Hours(1), static_cast<int64_t>(classes.size()), enrolments,
          [&](int64_t i, std::function<void(grpc::Status)> done) {
            struct Call {
              std::unique_ptr<grpc::ClientContext> ctx;
              bdtx::v1::EnrollClassRequest req;
              bdtx::v1::Run run;
            };
            auto call = std::make_shared<Call>();
            call->ctx = context(admin);
            call->req.set_class_name(classes[i].name());
            int y = 0, m = 0, d = 0;
            std::sscanf(today.c_str(), "%d-%d-%d", &y, &m, &d);
            call->req.mutable_start()->set_year(y);
            call->req.mutable_start()->set_month(m);
            call->req.mutable_start()->set_day(d);
            grading->async()->EnrollClass(
                call->ctx.get(), &call->req, &call->run, [&enrolled, call, done](grpc::Status s) {
                  if (s.ok()) ++enrolled;
                  // Enrolled by an earlier run: fine.
                  if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
                    s = grpc::Status::OK;
                  }
                  done(s);
                });
          });
    if (enrolments.errors > 0) {
      std::fprintf(stderr, "enrol: %s\n", enrolments.first_error.c_str());
      return 1;
    }
  }
  std::printf("setup: LMS history and %d new enrolments in %.1f s\n", enrolled.load(),
              absl::ToDoubleSeconds(absl::Now() - setup));
  Stats submits;
  const absl::Time submit_start = absl::Now();
  if (flags.Get("submit") != "false") {  // --submit=false: submitted by an earlier run
    bdtx::bench::Progress progress("submissions", submits,
                                   static_cast<int64_t>(assignments.size()));
    Drive(concurrency, absl::Hours(2), static_cast<int64_t>(assignments.size()), submits,
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
  }
  Print("submissions", submits, absl::ToDoubleSeconds(absl::Now() - submit_start));

  // One Grade call by the assignment's grader (verdict PASS but every 10th FAIL).
  auto grade = [&](int64_t k, std::function<void(grpc::Status)> done) {
    struct Call {
      grpc::ClientContext ctx;
      bdtx::v1::GradeRequest req;
      bdtx::v1::Assignment resp;
    };
    auto call = std::make_shared<Call>();
    const Assignment& a = assignments[static_cast<size_t>(k) % assignments.size()];
    call->ctx.AddMetadata("authorization", "Bearer " + grader_tokens[a.grader]);
    call->req.set_assignment(a.name);
    call->req.set_verdict(k % 10 == 0 ? bdtx::v1::FAIL : bdtx::v1::PASS);
    call->req.set_has_score(true);
    call->req.set_score(7.5);
    grading->async()->Grade(&call->ctx, &call->req, &call->resp,
                            [call, done](grpc::Status s) { done(s); });
  };

  if (flags.Get("grade_once") == "true") {
    // A national year: every assignment graded exactly once in one pass, between two
    // health phases (the baseline is their mean).
    Stats before, graded, after;
    cpu.Start();
    bdtx::bench::DriveHealthChecks(*health, concurrency, absl::Seconds(seconds), before);
    cpu.PerCall("health Check", before.count());
    const absl::Time t0 = absl::Now();
    cpu.Start();
    {
      bdtx::bench::Progress progress("grades", graded, static_cast<int64_t>(assignments.size()));
      Drive(concurrency, absl::Hours(2), static_cast<int64_t>(assignments.size()), graded, grade);
    }
    const double grading_seconds = absl::ToDoubleSeconds(absl::Now() - t0);
    cpu.PerCall("Grade", graded.count());
    cpu.Start();
    bdtx::bench::DriveHealthChecks(*health, concurrency, absl::Seconds(seconds), after);
    cpu.PerCall("health Check", after.count());
    Print("health before", before, seconds);
    Print("Grade (once each)", graded, grading_seconds);
    Print("health after", after, seconds);
    const double health_rate = (before.count() + after.count()) / (2.0 * seconds);
    std::printf("%zu assignments graded in %.1f s; Grade / health = %.2f (target >= 0.4)\n",
                graded.count(), grading_seconds, graded.count() / grading_seconds / health_rate);
  }

  std::vector<double> ratios;
  std::atomic<int64_t> cursor{0};
  for (int round = 1; round <= rounds; ++round) {
    Stats noop, grades;
    cpu.Start();
    bdtx::bench::DriveHealthChecks(*health, concurrency, absl::Seconds(seconds), noop);
    cpu.PerCall("health Check", noop.count());
    cpu.Start();
    Drive(
        concurrency, absl::Seconds(seconds), INT64_MAX, grades,
        [&](int64_t, std::function<void(grpc::Status)> done) { grade(cursor++, std::move(done)); });
    cpu.PerCall("Grade", grades.count());
    std::printf("round %d\n", round);
    Print("health Check", noop, seconds);
    Print("Grade", grades, seconds);
    const double ratio = static_cast<double>(grades.count()) / noop.count();
    ratios.push_back(ratio);
    std::printf("Grade / health = %.2f\n", ratio);
  }
  std::sort(ratios.begin(), ratios.end());
  if (!ratios.empty()) {
    std::printf("median Grade / health over %d rounds = %.2f (target >= 0.4)\n", rounds,
                ratios[ratios.size() / 2]);
  }

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
