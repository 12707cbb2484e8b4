// Hand-run load tool for the plans service (not in CI).
//
// Starts its own directory, grading, approvals and plans processes (release binaries
// from this build) in a temporary directory, imports a synthetic school: `core_members`
// core teachers, each with two colleagues and a lecturer for every module (1-9) of every
// year from 2030 on (so there are enough distinct plans to create). Then alternates, per
// round, a phase of health Checks on plans (the no-op baseline) and a phase of
// CreatePlan + SubmitDocument pairs (a plan pre-filled from the directory, stored, its
// sha256 submitted to approvals as the author, both WAL-synced), K pairs in flight.
// Finally renders documents (RenderDocument over gRPC, and RenderHtml in-process).
//
//   plans_bench [--concurrency=64] [--seconds=5] [--rounds=3] [--core_members=80]
//               [--years=60] [--renders=500] [--plans_workers=32] [--submit=true|false]
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/plans.grpc.pb.h"
#include "bench/bench_services.h"
#include "bench/bench_util.h"
#include "common/auth/jwt.h"
#include "common/testing/service_process.h"
#include "common/testing/temp_dir.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "services/plans/domain/support_document.h"

namespace {

using bdtx::bench::Drive;
using bdtx::bench::Print;
using bdtx::bench::RssKb;
using bdtx::bench::Started;
using bdtx::bench::StartOrExit;
using bdtx::bench::Stats;

}  // namespace

int main(int argc, char** argv) {
  const bdtx::server::Flags flags = bdtx::bench::ParseFlagsOrExit(argc, argv,
                                                                  {{"concurrency", "64"},
                                                                   {"seconds", "5"},
                                                                   {"rounds", "3"},
                                                                   {"core_members", "80"},
                                                                   {"years", "60"},
                                                                   {"renders", "500"},
                                                                   {"plans_workers", "32"},
                                                                   {"submit", "true"}});
  const int concurrency = static_cast<int>(bdtx::bench::IntFlag(flags, "concurrency"));
  const int seconds = static_cast<int>(bdtx::bench::IntFlag(flags, "seconds"));
  const int rounds = static_cast<int>(bdtx::bench::IntFlag(flags, "rounds"));
  const int cores = static_cast<int>(bdtx::bench::IntFlag(flags, "core_members"));
  const int years = static_cast<int>(bdtx::bench::IntFlag(flags, "years"));
  const int renders = static_cast<int>(bdtx::bench::IntFlag(flags, "renders"));
  if (cores < 1 || years < 1 || years > 70) {
    std::fprintf(stderr, "--core_members must be >= 1 and --years 1..70\n");
    return 2;
  }

  bdtx::testing::TempDir dir;
  const std::string key_arg = "--auth_key_file=" + dir.Sub("auth.key");
  Started directory =
      StartOrExit(BDTX_DIRECTORY_PATH, {"--data_dir=" + dir.Sub("directory"), key_arg});
  auto key = bdtx::auth::ReadKeyFile(dir.Sub("auth.key"));
  if (!key.ok()) return 1;
  auto mint = [&](const std::string& name, std::vector<std::string> roles,
                  const std::string& unit) {
    return bdtx::bench::MintToken(*key, name, std::move(roles), unit);
  };
  const std::string admin = mint("operators/plans-bench", {"SYSTEM_ADMIN"}, "");

  // The synthetic school.
  std::string people = bdtx::bench::kBenchPeopleHeader;
  std::string assignments = "year,module,kind,from_id,to_id\n";
  for (int c = 0; c < cores; ++c) {
    absl::StrAppendFormat(
        &people, "gvcc-b%03d,,Giáo viên cốt cán %d,core_teacher,thcs-bench,Toán,THCS,\n", c, c);
    for (int k = 0; k < 2; ++k) {
      absl::StrAppendFormat(
          &people, "gv-b%03d-%d,,Giáo viên %d-%d,mass_teacher,thcs-bench,Toán,THCS,\n", c, k, c, k);
    }
  }
  for (int y = 2030; y < 2030 + years; ++y) {
    for (int m = 1; m <= 9; ++m) {
      for (int c = 0; c < cores; ++c) {
        absl::StrAppendFormat(&assignments, "%d,%d,lecturer,gvsp-bench,gvcc-b%03d\n", y, m, c);
        for (int k = 0; k < 2; ++k) {
          absl::StrAppendFormat(&assignments, "%d,%d,support,gvcc-b%03d,gv-b%03d-%d\n", y, m, c, c,
                                k);
        }
      }
    }
  }
  {
    const absl::Time t0 = absl::Now();
    bdtx::bench::ImportOrExit(directory.address, admin,
                              {{bdtx::v1::UNITS, bdtx::bench::kBenchUnits},
                               {bdtx::v1::PEOPLE, people},
                               {bdtx::v1::ASSIGNMENTS, assignments}});
    std::printf("directory: %d core members x %d years x 9 modules imported in %.1f s\n", cores,
                years, absl::ToDoubleSeconds(absl::Now() - t0));
  }
  const std::string dir_arg = "--directory=" + directory.address;
  Started grading =
      StartOrExit(BDTX_GRADING_PATH, {"--data_dir=" + dir.Sub("grading"), key_arg, dir_arg});
  Started approvals =
      StartOrExit(BDTX_APPROVALS_PATH, {"--data_dir=" + dir.Sub("approvals"), key_arg, dir_arg});
  Started plans = StartOrExit(
      BDTX_PLANS_PATH,
      {"--data_dir=" + dir.Sub("plans"), key_arg, dir_arg, "--approvals=" + approvals.address,
       "--grading=" + grading.address, "--workers=" + flags.Get("plans_workers")});

  auto channel = grpc::CreateChannel(plans.address, grpc::InsecureChannelCredentials());
  auto stub = bdtx::v1::Plans::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);
  std::vector<std::string> tokens;
  for (int c = 0; c < cores; ++c) {
    tokens.push_back(
        mint(absl::StrFormat("people/gvcc-b%03d", c), {"CORE_TEACHER"}, "units/thcs-bench"));
  }
  // --submit=false measures CreatePlan alone (to see what each half costs).
  const bool with_submit = flags.Get("submit") != "false";
  const int64_t capacity = static_cast<int64_t>(cores) * years * 9;
  std::atomic<int64_t> cursor{0};
  std::vector<std::string> created;
  std::mutex created_mu;

  // CPU per call of every process: the machine's cores are shared by all five.
  bdtx::bench::CpuMeter cpu({{"client", getpid()},
                             {"plans", plans.process->pid()},
                             {"approvals", approvals.process->pid()},
                             {"directory", directory.process->pid()},
                             {"grading", grading.process->pid()}});
  std::vector<double> ratios;
  for (int round = 1; round <= rounds; ++round) {
    Stats noop, pairs;
    cpu.Start();
    bdtx::bench::DriveHealthChecks(*health, concurrency, absl::Seconds(seconds), noop);
    cpu.PerCall("health Check", noop.count());
    cpu.Start();
    // Bounded by the plans left, so running out ends the phase instead of failing calls.
    Drive(concurrency, absl::Seconds(seconds), std::max<int64_t>(0, capacity - cursor), pairs,
          [&](int64_t, std::function<void(grpc::Status)> done) {
            const int64_t i = cursor++;
            // Consecutive calls go to different core members.
            const int core = static_cast<int>(i % cores);
            const int module = static_cast<int>((i / cores) % 9) + 1;
            const int year = 2030 + static_cast<int>(i / cores / 9);
            struct Call {
              grpc::ClientContext create_ctx, submit_ctx;
              bdtx::v1::CreatePlanRequest create;
              bdtx::v1::SubmitSupportDocumentRequest submit;
              bdtx::v1::SupportDocument created, submitted;
            };
            auto call = std::make_shared<Call>();
            const std::string& token = tokens[core];
            call->create_ctx.AddMetadata("authorization", "Bearer " + token);
            call->submit_ctx.AddMetadata("authorization", "Bearer " + token);
            call->create.set_author(absl::StrFormat("people/gvcc-b%03d", core));
            call->create.set_year(year);
            call->create.set_module(module);
            stub->async()->CreatePlan(
                &call->create_ctx, &call->create, &call->created, [&, call, done](grpc::Status s) {
                  if (!s.ok() || !with_submit) return done(s);
                  call->submit.set_name(call->created.content().name());
                  stub->async()->SubmitDocument(&call->submit_ctx, &call->submit, &call->submitted,
                                                [&, call, done](grpc::Status s2) {
                                                  if (s2.ok()) {
                                                    std::lock_guard<std::mutex> lock(created_mu);
                                                    created.push_back(call->submit.name());
                                                  }
                                                  done(s2);
                                                });
                });
          });
    cpu.PerCall("create+submit", pairs.count());
    std::printf("round %d\n", round);
    Print("health Check", noop, seconds);
    Print("create+submit", pairs, seconds);
    const double ratio = static_cast<double>(pairs.count()) / noop.count();
    ratios.push_back(ratio);
    std::printf("create+submit / health = %.3f\n", ratio);
  }
  std::sort(ratios.begin(), ratios.end());
  std::printf("median create+submit / health over %d rounds = %.3f (target >= 0.3)\n", rounds,
              ratios[ratios.size() / 2]);

  // Rendering: over gRPC (load, approvals state and history, render) and in-process.
  Stats render_rpc;
  std::vector<bdtx::v1::SupportDocument> documents;
  const std::string principal = mint("people/ht-bench", {"PRINCIPAL"}, "units/thcs-bench");
  for (int i = 0; i < renders && i < static_cast<int>(created.size()); ++i) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + principal);
    bdtx::v1::RenderDocumentRequest req;
    req.set_name(created[i]);
    bdtx::v1::RenderedDocument out;
    const absl::Time t0 = absl::Now();
    grpc::Status s = stub->RenderDocument(&ctx, req, &out);
    render_rpc.Add(absl::Now() - t0, s);
    grpc::ClientContext get_ctx;
    get_ctx.AddMetadata("authorization", "Bearer " + principal);
    bdtx::v1::GetSupportDocumentRequest get;
    get.set_name(created[i]);
    bdtx::v1::SupportDocument doc;
    if (stub->GetDocument(&get_ctx, get, &doc).ok()) documents.push_back(doc);
  }
  Print("RenderDocument", render_rpc, 1);
  if (!documents.empty()) {
    bdtx::plans::RenderContext ctx;
    ctx.signer_title = "HIỆU TRƯỞNG";
    size_t bytes = 0;
    const int repeat = 20;
    const absl::Time t0 = absl::Now();
    for (int r = 0; r < repeat; ++r) {
      for (const auto& d : documents) bytes += bdtx::plans::RenderHtml(d, ctx).size();
    }
    const double per_doc_us =
        absl::ToDoubleMicroseconds(absl::Now() - t0) / (repeat * documents.size());
    std::printf("RenderHtml in-process: %.1f us per document (%zu bytes of HTML each)\n",
                per_doc_us, bytes / (repeat * documents.size()));
  }
  for (Started* s : {&plans, &approvals, &grading, &directory}) s->process->Signal(SIGTERM);
  return 0;
}
