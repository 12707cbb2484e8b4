// Hand-run load tool for the notifications service (not in CI).
//
// Phase 1 — keeping up. Starts its own directory (a synthetic school: `core_members` core
// teachers, their lecturer and principal, modules 1-9 of 2030), approvals and notifications
// (inbox only: no SMTP or webhook). `threads` clients drive submit/return cycles on
// distinct documents at full speed for `seconds`; every transition is one approval event
// and one notification (to the lecturer or the author). A sampler reads, every 20 ms, how
// many transitions approvals acknowledged and notifications' checkpoint: the rates of both
// and the lag of each event (acknowledged → its notification stored), p50/p99/max.
//
// Phase 2 — 1M pending timers. Writes `timers` timers through the store in batches into a
// fresh data directory, then starts bdtx-notifications on it and on an empty one and
// compares their resident memory (timers live in RocksDB, not in memory).
//
//   notifications_bench [--threads=64] [--seconds=10] [--core_members=200] [--timers=1000000]
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/notifications.grpc.pb.h"
#include "bench/bench_services.h"
#include "bench/bench_util.h"
#include "common/auth/jwt.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "common/testing/service_process.h"
#include "common/testing/temp_dir.h"
#include "grpcpp/grpcpp.h"
#include "services/notifications/store/notifications_store.h"

namespace {

using bdtx::bench::RssKb;
using bdtx::bench::Started;
using bdtx::bench::StartOrExit;

}  // namespace

int main(int argc, char** argv) {
  const bdtx::server::Flags flags = bdtx::bench::ParseFlagsOrExit(
      argc, argv,
      {{"threads", "64"}, {"seconds", "10"}, {"core_members", "200"}, {"timers", "1000000"}});
  const int threads = static_cast<int>(bdtx::bench::IntFlag(flags, "threads"));
  const int seconds = static_cast<int>(bdtx::bench::IntFlag(flags, "seconds"));
  const int cores = static_cast<int>(bdtx::bench::IntFlag(flags, "core_members"));
  const int64_t timer_count = bdtx::bench::IntFlag(flags, "timers");
  if (threads < 1 || cores * 9 < threads) {
    std::fprintf(stderr, "need --threads >= 1 and --core_members * 9 >= --threads\n");
    return 2;
  }

  bdtx::testing::TempDir dir;
  const std::string key_arg = "--auth_key_file=" + dir.Sub("auth.key");
  Started directory =
      StartOrExit(BDTX_DIRECTORY_PATH, {"--data_dir=" + dir.Sub("directory"), key_arg});
  auto key = bdtx::auth::ReadKeyFile(dir.Sub("auth.key"));
  if (!key.ok()) return 1;
  auto mint = [&](const std::string& name, std::vector<std::string> roles) {
    return bdtx::bench::MintToken(*key, name, std::move(roles));
  };
  const std::string admin = mint("operators/notifications-bench", {"SYSTEM_ADMIN"});
  std::string people = bdtx::bench::kBenchPeopleHeader;
  std::string assignments = "year,module,kind,from_id,to_id\n";
  for (int c = 0; c < cores; ++c) {
    absl::StrAppendFormat(&people, "gvcc-n%03d,,Cốt cán %d,core_teacher,thcs-bench,Toán,THCS,\n", c,
                          c);
    for (int m = 1; m <= 9; ++m) {
      absl::StrAppendFormat(&assignments, "2030,%d,lecturer,gvsp-bench,gvcc-n%03d\n", m, c);
    }
  }
  bdtx::bench::ImportOrExit(directory.address, admin,
                            {{bdtx::v1::UNITS, bdtx::bench::kBenchUnits},
                             {bdtx::v1::PEOPLE, people},
                             {bdtx::v1::ASSIGNMENTS, assignments}});
  const std::string dir_arg = "--directory=" + directory.address;
  Started approvals =
      StartOrExit(BDTX_APPROVALS_PATH, {"--data_dir=" + dir.Sub("approvals"), key_arg, dir_arg});
  Started notifications =
      StartOrExit(BDTX_NOTIFICATIONS_PATH, {"--data_dir=" + dir.Sub("notifications"), key_arg,
                                            dir_arg, "--approvals=" + approvals.address,
                                            "--grading=", "--poll_interval=50ms", "--deadlines="});
  auto approvals_stub = bdtx::v1::Approvals::NewStub(
      grpc::CreateChannel(approvals.address, grpc::InsecureChannelCredentials()));
  auto notifications_stub = bdtx::v1::Notifications::NewStub(
      grpc::CreateChannel(notifications.address, grpc::InsecureChannelCredentials()));
  const std::string lecturer = mint("people/gvsp-bench", {"PEDAGOGY_LECTURER"});
  std::vector<std::string> author_tokens;
  for (int c = 0; c < cores; ++c) {
    author_tokens.push_back(mint(absl::StrFormat("people/gvcc-n%03d", c), {"CORE_TEACHER"}));
  }
  auto checkpoint = [&]() -> int64_t {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin);
    bdtx::v1::GetStatusResponse status;
    if (!notifications_stub->GetStatus(&ctx, bdtx::v1::GetStatusRequest(), &status).ok()) return -1;
    for (const auto& s : status.sources()) {
      if (s.source() == "approvals") return s.checkpoint();
    }
    return -1;
  };

  // ---- phase 1
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> errors{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      std::vector<int> docs;  // document index = core * 9 + module - 1
      for (int d = t; d < cores * 9; d += threads) docs.push_back(d);
      for (int64_t round = 0; !stop; ++round) {
        for (int d : docs) {
          if (stop) return;
          const int core = d / 9, module = d % 9 + 1;
          const std::string doc =
              absl::StrFormat("documents/gvcc-n%03d-2030-m%d-plan", core, module);
          bdtx::v1::Document out;
          grpc::ClientContext submit_ctx;
          submit_ctx.AddMetadata("authorization", "Bearer " + author_tokens[core]);
          bdtx::v1::SubmitRequest submit;
          submit.set_document(doc);
          submit.set_content_sha256(absl::StrFormat("%064d", round));
          grpc::Status s = approvals_stub->Submit(&submit_ctx, submit, &out);
          if (!s.ok()) {
            if (errors++ == 0) std::fprintf(stderr, "submit: %s\n", s.error_message().c_str());
            continue;
          }
          ++acked;
          grpc::ClientContext return_ctx;
          return_ctx.AddMetadata("authorization", "Bearer " + lecturer);
          bdtx::v1::ReturnRequest ret;
          ret.set_document(doc);
          ret.set_reason("bench");
          s = approvals_stub->Return(&return_ctx, ret, &out);
          if (!s.ok()) {
            if (errors++ == 0) std::fprintf(stderr, "return: %s\n", s.error_message().c_str());
            continue;
          }
          ++acked;
        }
      }
    });
  }
  struct Sample {
    absl::Time at;
    int64_t acked, processed;
  };
  std::vector<Sample> samples;
  const absl::Time start = absl::Now();
  while (absl::Now() - start < absl::Seconds(seconds)) {
    samples.push_back({absl::Now(), acked.load(), checkpoint()});
    absl::SleepFor(absl::Milliseconds(20));
  }
  stop = true;
  for (std::thread& t : clients) t.join();
  const int64_t total = acked.load();
  const absl::Time load_end = absl::Now();
  while (checkpoint() < total && absl::Now() - load_end < absl::Minutes(5)) {
    samples.push_back({absl::Now(), total, checkpoint()});
    absl::SleepFor(absl::Milliseconds(20));
  }
  samples.push_back({absl::Now(), total, checkpoint()});
  const double load_s = absl::ToDoubleSeconds(load_end - start);
  // Lag per event: the first sample seeing it processed minus the first seeing it acknowledged.
  std::vector<absl::Duration> lags;
  size_t ack_i = 0, done_i = 0;
  for (int64_t p = 1; p <= total; p += std::max<int64_t>(1, total / 20000)) {
    while (ack_i < samples.size() && samples[ack_i].acked < p) ++ack_i;
    while (done_i < samples.size() && samples[done_i].processed < p) ++done_i;
    if (ack_i < samples.size() && done_i < samples.size()) {
      lags.push_back(std::max(absl::ZeroDuration(), samples[done_i].at - samples[ack_i].at));
    }
  }
  const bdtx::bench::Percentiles lag = bdtx::bench::ComputePercentiles(lags);
  int64_t processed_at_load_end = 0;
  for (const Sample& s : samples) {
    if (s.at <= load_end) processed_at_load_end = s.processed;
  }
  std::printf("approvals: %lld transitions in %.1f s = %.0f/s (errors %lld)\n",
              static_cast<long long>(total), load_s, total / load_s,
              static_cast<long long>(errors.load()));
  std::printf(
      "notifications: %lld events produced during the load = %.0f/s (ratio %.2f); "
      "drained %.2f s after the load\n",
      static_cast<long long>(processed_at_load_end), processed_at_load_end / load_s,
      static_cast<double>(processed_at_load_end) / std::max<int64_t>(1, total),
      absl::ToDoubleSeconds(samples.back().at - load_end));
  std::printf(
      "lag (acknowledged -> notification stored, 20 ms sampling): p50 %s p99 %s max %s "
      "(target p99 <= 1s)\n",
      absl::FormatDuration(lag.p50).c_str(), absl::FormatDuration(lag.p99).c_str(),
      absl::FormatDuration(lags.empty() ? absl::ZeroDuration()
                                        : *std::max_element(lags.begin(), lags.end()))
          .c_str());
  std::printf("notifications RSS after the load: %lld MB\n",
              static_cast<long long>(RssKb(notifications.process->pid()) / 1024));
  std::fflush(stdout);
  for (Started* s : {&notifications, &approvals}) s->process->Signal(SIGTERM);

  // ---- phase 2
  if (timer_count > 0) {
    const std::string data = dir.Sub("timers");
    {
      auto events = bdtx::eventstore::RocksDbEventStore::Open(data + "/events");
      if (!events.ok()) return 1;
      bdtx::notifications::NotificationsStore store(
          events->get(),
          [](const bdtx::v1::Notification&) { return std::vector<bdtx::v1::DeliveryJob>(); });
      const absl::Time t0 = absl::Now();
      const absl::Time far = absl::Now() + absl::Hours(24 * 365);
      for (int64_t i = 0; i < timer_count; i += 1000) {
        bdtx::notifications::Production p;
        p.source_id = absl::StrCat("bench-timers:", i);
        for (int64_t j = i; j < std::min(timer_count, i + 1000); ++j) {
          bdtx::v1::Timer& t = p.timers.emplace_back();
          t.set_id(absl::StrCat("grading-overdue/bench-", j, "/2031-01-01"));
          t.mutable_fire_at()->set_seconds(absl::ToUnixSeconds(far) + j % 86400);
          t.set_kind(bdtx::v1::GRADING_OVERDUE);
          t.set_subject(absl::StrCat("classes/bench-", j));
          t.set_deadline("2031-01-01");
        }
        if (auto r = store.Produce(std::move(p), absl::Now()); !r.ok()) {
          std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
          return 1;
        }
        if ((i / 1000) % 100 == 0) {
          std::printf("\r%lld timers written", static_cast<long long>(i));
          std::fflush(stdout);
        }
      }
      std::printf("\r%lld timers written in %.1f s\n", static_cast<long long>(timer_count),
                  absl::ToDoubleSeconds(absl::Now() - t0));
    }
    for (const std::string& d : {data, dir.Sub("empty")}) {
      Started n = StartOrExit(
          BDTX_NOTIFICATIONS_PATH,
          {"--data_dir=" + d, key_arg, dir_arg, "--approvals=", "--grading=", "--deadlines="});
      absl::SleepFor(absl::Seconds(3));
      const absl::Time t0 = absl::Now();
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + admin);
      bdtx::v1::GetStatusResponse status;
      auto stub = bdtx::v1::Notifications::NewStub(
          grpc::CreateChannel(n.address, grpc::InsecureChannelCredentials()));
      (void)stub->GetStatus(&ctx, bdtx::v1::GetStatusRequest(), &status);
      std::printf("%s: %lld pending timers, RSS %lld MB (GetStatus counted them in %s)\n",
                  d == data ? "with the timers" : "empty store",
                  static_cast<long long>(status.pending_timers()),
                  static_cast<long long>(RssKb(n.process->pid()) / 1024),
                  absl::FormatDuration(absl::Now() - t0).c_str());
      n.process->Signal(SIGTERM);
      (void)n.process->WaitExit(absl::Seconds(30));
    }
  }
  directory.process->Signal(SIGTERM);
  return 0;
}
