// A deadline week of peer support in one province (issue 21): 5,555 learners in 11
// districts, ~50 per core member, ask 3 questions each; core members answer 80 % and
// escalate 20 % to their lecturer, who answers. Then statistics per district (and the
// province by district) are timed; the target is ≤ 100 ms per call. Baselines in the same
// run (docs/perf.md): grpc.health.v1.Health/Check on the support server, at the write
// phases' concurrency (rate ratio) and one at a time as the statistics calls are (latency).
//
// Starts its own bdtx-directory and bdtx-support from this build in a fresh data dir.
//   ./build-release/bench/support_bench [--learners=5555 --questions=3 --concurrency=32
//                                        --escalated_percent=20 --stats_calls=200]
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bdtx/v1/support.grpc.pb.h"
#include "bench/bench_services.h"
#include "bench/bench_util.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace bdtx::bench {
namespace {

constexpr int kDistricts = 11;
constexpr int kSchoolsPerDistrict = 12;
constexpr int kColleaguesPerCore = 50;
constexpr int kLecturers = 8;

struct Province {
  std::string units, people, assignments;
  std::vector<std::string> learners, cores;  // ids
  std::vector<std::string> learner_unit;     // per learner, the district
};

Province Build(int learners) {
  Province p;
  p.units =
      "id,code,name,kind,parent_id,level,university_kind\n"
      "moet,BGDDT,Bộ,ministry,,,\nso-b,70,Sở Bench,department,moet,,\n"
      "dhsp-b,,ĐHSP Bench,university,moet,,DHSP\n";
  for (int d = 0; d < kDistricts; ++d) {
    absl::StrAppend(&p.units, "pgd-", d, ",,Phòng ", d, ",district,so-b,,\n");
    for (int s = 0; s < kSchoolsPerDistrict; ++s) {
      absl::StrAppend(&p.units, "thcs-", d, "-", s, ",,THCS ", d, "-", s, ",school,pgd-", d,
                      ",THCS,\n");
    }
  }
  // People's tokens stand for people in the directory (ADR 012): the Sở officer who
  // reads the statistics is one of them.
  p.people =
      "id,code,full_name,roles,home_unit_id,subject,level,email\n"
      "cv-so,,Chuyên viên Sở,province_officer,so-b,,,\n";
  p.assignments = "year,module,kind,from_id,to_id\n";
  for (int l = 0; l < kLecturers; ++l) {
    absl::StrAppend(&p.people, "gvsp-", l, ",,GVSP ", l, ",pedagogy_lecturer,dhsp-b,,,\n");
  }
  const int cores = (learners + kColleaguesPerCore - 1) / kColleaguesPerCore;
  for (int c = 0; c < cores; ++c) {
    // A core member teaches in the school of their first colleague.
    const int first = c * kColleaguesPerCore;
    const int d = first % kDistricts, s = (first / kDistricts) % kSchoolsPerDistrict;
    const std::string id = absl::StrFormat("gvcc-%04d", c);
    absl::StrAppend(&p.people, id, ",,Cốt cán ", c, ",core_teacher,thcs-", d, "-", s,
                    ",Toán,THCS,\n");
    absl::StrAppend(&p.assignments, "2023,4,lecturer,gvsp-", c % kLecturers, ",", id, "\n");
    p.cores.push_back(id);
  }
  for (int i = 0; i < learners; ++i) {
    const int c = i / kColleaguesPerCore;
    const int first = c * kColleaguesPerCore;
    const int d = first % kDistricts, s = (first / kDistricts) % kSchoolsPerDistrict;
    const std::string id = absl::StrFormat("hv-%05d", i);
    absl::StrAppend(&p.people, id, ",,Học viên ", i, ",mass_teacher,thcs-", d, "-", s,
                    ",Toán,THCS,\n");
    absl::StrAppend(&p.assignments, "2023,4,support,", p.cores[c], ",", id, "\n");
    p.learners.push_back(id);
    p.learner_unit.push_back(absl::StrCat("units/pgd-", d));
  }
  return p;
}

// Runs `n` calls of `call(i)` on `concurrency` threads; records latency and status.
template <typename Call>
double RunAll(int n, int concurrency, Stats& stats, Call call) {
  std::atomic<int> next{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        const absl::Time t0 = absl::Now();
        grpc::Status s = call(i);
        stats.Add(absl::Now() - t0, s);
      }
    });
  }
  for (auto& t : threads) t.join();
  return absl::ToDoubleSeconds(absl::Now() - start);
}

int Main(int argc, char** argv) {
  server::Flags flags = ParseFlagsOrExit(argc, argv,
                                         {{"learners", "5555"},
                                          {"questions", "3"},
                                          {"concurrency", "32"},
                                          {"escalated_percent", "20"},
                                          {"stats_calls", "200"},
                                          {"dir", ""}});
  const int learners = static_cast<int>(IntFlag(flags, "learners"));
  const int per_learner = static_cast<int>(IntFlag(flags, "questions"));
  const int concurrency = static_cast<int>(IntFlag(flags, "concurrency"));
  const int escalated_percent = static_cast<int>(IntFlag(flags, "escalated_percent"));
  const int stats_calls = static_cast<int>(IntFlag(flags, "stats_calls"));
  std::string dir = flags.Get("dir");
  if (dir.empty()) dir = absl::StrCat("/tmp/bdtx-support-bench-", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string key_file = dir + "/auth.key";
  const std::string key = "support-bench-secret-0123456789abcdef";
  std::ofstream(key_file) << key;

  Started directory = StartOrExit(
      BDTX_DIRECTORY_PATH, {"--data_dir=" + dir + "/directory", "--auth_key_file=" + key_file});
  Started support = StartOrExit(BDTX_SUPPORT_PATH,
                                {"--data_dir=" + dir + "/support", "--auth_key_file=" + key_file,
                                 "--directory=" + directory.address, "--plans="});
  const Province p = Build(learners);
  ImportOrExit(directory.address, MintToken(key, "operators/support-bench", {"SYSTEM_ADMIN"}),
               {{v1::UNITS, p.units}, {v1::PEOPLE, p.people}, {v1::ASSIGNMENTS, p.assignments}});
  std::printf("province: %d learners, %zu core members, %d districts; %d questions each\n",
              learners, p.cores.size(), kDistricts, per_learner);

  auto channel = grpc::CreateChannel(support.address, grpc::InsecureChannelCredentials());
  auto stub = v1::Support::NewStub(channel);
  std::vector<std::string> learner_tokens, core_tokens, lecturer_tokens;
  for (const auto& l : p.learners) {
    learner_tokens.push_back(MintToken(key, "people/" + l, {"MASS_TEACHER"}));
  }
  for (const auto& c : p.cores)
    core_tokens.push_back(MintToken(key, "people/" + c, {"CORE_TEACHER"}));
  for (int l = 0; l < kLecturers; ++l) {
    lecturer_tokens.push_back(
        MintToken(key, absl::StrCat("people/gvsp-", l), {"PEDAGOGY_LECTURER"}));
  }
  CpuMeter cpu({{"support", support.process->pid()}, {"directory", directory.process->pid()}});
  auto health = grpc::health::v1::Health::NewStub(channel);
  // The same-run baseline: `n` health Checks on `threads` threads, as RunAll drives calls.
  auto baseline = [&](const char* what, int n, int threads) {
    Stats st;
    const double t = RunAll(n, threads, st, [&](int) {
      grpc::ClientContext ctx;
      grpc::health::v1::HealthCheckRequest req;
      grpc::health::v1::HealthCheckResponse resp;
      return health->Check(&ctx, req, &resp);
    });
    Print(what, st, t);
    const Percentiles pct = ComputePercentiles(st.latencies);
    return std::pair{st.latencies.size() / t, pct.p50};
  };
  const double health_rate = baseline("health", learners * per_learner, concurrency).first;

  // Phase 1: every learner asks `per_learner` questions.
  const int total = learners * per_learner;
  std::vector<v1::Question> asked(total);
  Stats ask_stats;
  cpu.Start();
  double secs = RunAll(total, concurrency, ask_stats, [&](int i) {
    const int learner = i % learners;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + learner_tokens[learner]);
    v1::AskQuestionRequest req;
    req.set_request_id(absl::StrCat("bench-ask-", i));
    req.set_year(2023);
    req.set_module(4);
    req.set_channel(static_cast<v1::SupportChannel>(1 + i % 4));
    req.set_text(absl::StrCat("Câu hỏi số ", i, " về kế hoạch bài dạy theo chủ đề?"));
    return stub->AskQuestion(&ctx, req, &asked[i]);
  });
  Print("ask", ask_stats, secs);
  std::printf("  ratio to health: %.3f\n", total / secs / health_rate);
  cpu.PerCall("questions", total);

  // Phase 2: core members answer 80 % and escalate the rest.
  auto core_of = [&](int i) { return (i % learners) / kColleaguesPerCore; };
  auto escalated = [&](int i) { return (i * 7919) % 100 < escalated_percent; };
  Stats handle_stats;
  cpu.Start();
  secs = RunAll(total, concurrency, handle_stats, [&](int i) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + core_tokens[core_of(i)]);
    v1::Question out;
    if (escalated(i)) {
      v1::EscalateQuestionRequest req;
      req.set_name(asked[i].name());
      req.set_note("Nhờ giảng viên trả lời giúp.");
      return stub->EscalateQuestion(&ctx, req, &out);
    }
    v1::AnswerQuestionRequest req;
    req.set_name(asked[i].name());
    req.set_text("Xem mục 2 của tài liệu mô-đun.");
    return stub->AnswerQuestion(&ctx, req, &out);
  });
  Print("answer/escalate", handle_stats, secs);
  std::printf("  ratio to health: %.3f\n", total / secs / health_rate);
  cpu.PerCall("questions", total);

  // Phase 3: lecturers answer the escalated ones.
  std::vector<int> to_lecturer;
  for (int i = 0; i < total; ++i) {
    if (escalated(i)) to_lecturer.push_back(i);
  }
  Stats lecturer_stats;
  secs = RunAll(static_cast<int>(to_lecturer.size()), concurrency, lecturer_stats, [&](int k) {
    const int i = to_lecturer[k];
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + lecturer_tokens[core_of(i) % kLecturers]);
    v1::AnswerQuestionRequest req;
    req.set_name(asked[i].name());
    req.set_text("Giảng viên trả lời.");
    v1::Question out;
    return stub->AnswerQuestion(&ctx, req, &out);
  });
  Print("lecturer", lecturer_stats, secs);

  // Phase 4: statistics per district, one at a time (what a dashboard asks), and the
  // province by district.
  const std::string so_token = MintToken(key, "people/cv-so", {"PROVINCE_OFFICER"}, "units/so-b");
  const auto [health_rate_1, health_p50] = baseline("health 1-by-1", stats_calls, 1);
  for (bool children : {false, true}) {
    Stats s;
    int64_t questions_seen = 0;
    secs = RunAll(stats_calls, 1, s, [&](int i) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + so_token);
      v1::ListSupportStatisticsRequest req;
      req.set_unit(children ? "units/so-b" : absl::StrCat("units/pgd-", i % kDistricts));
      req.set_children(children);
      req.set_year(2023);
      req.set_module(4);
      v1::ListSupportStatisticsResponse resp;
      grpc::Status st = stub->ListSupportStatistics(&ctx, req, &resp);
      if (i == 0) {
        for (const auto& x : resp.statistics()) questions_seen += x.questions();
      }
      return st;
    });
    Print(children ? "stats province" : "stats district", s, secs);
    const Percentiles pct = ComputePercentiles(s.latencies);
    std::printf("  p50 %.2f ms = %.1f x health p50 (%.3f ms, %.0f/s one at a time)\n",
                absl::ToDoubleMilliseconds(pct.p50), absl::FDivDuration(pct.p50, health_p50),
                absl::ToDoubleMilliseconds(health_p50), health_rate_1);
    std::printf("  (first answer covered %lld questions)\n",
                static_cast<long long>(questions_seen));
  }
  std::printf("support RSS %lld KiB\n", static_cast<long long>(RssKb(support.process->pid())));
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace bdtx::bench

int main(int argc, char** argv) { return bdtx::bench::Main(argc, argv); }
