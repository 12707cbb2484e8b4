// Hand-run load tool for the approvals service (not in CI). Drives full chains
// (submit -> lecturer approval -> sign-off) of many documents with K calls in flight
// (async gRPC client), and in the same run measures the no-op rate (health Check) on
// the same server, alternating phases. Prints transitions/s, p50/p99/p999 and the ratio.
//
// Needs a directory loaded with the demo province and an approvals service using the
// same auth key:
//   approvals_bench --approvals=127.0.0.1:7103 --directory=127.0.0.1:7101
//                   --key_file=./data/auth.key [--concurrency=64] [--seconds=5]
//                   [--rounds=3] [--first_year=auto] [--last_year=2100]
//                   [--pids=approvals:PID,directory:PID]  (CPU per call of each)
// Every document is new: chains use years from --first_year on (the tool imports the
// lecturer assignments those years need).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bench/bench_util.h"
#include "common/auth/jwt.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

using bdtx::bench::Print;
using bdtx::bench::Stats;

namespace {

struct Actor {
  std::string token;
};

}  // namespace

int main(int argc, char** argv) {
  const bdtx::server::Flags flags = bdtx::bench::ParseFlagsOrExit(argc, argv,
                                                                  {{"approvals", "127.0.0.1:7103"},
                                                                   {"directory", "127.0.0.1:7101"},
                                                                   {"concurrency", "64"},
                                                                   {"seconds", "5"},
                                                                   {"rounds", "3"},
                                                                   {"first_year", "0"},
                                                                   {"key_file", "./data/auth.key"},
                                                                   {"last_year", "2100"},
                                                                   {"pids", ""}});
  bdtx::bench::CpuMeter cpu = bdtx::bench::CpuMeterOrExit(flags.Get("pids"));
  const std::string approvals_addr = flags.Get("approvals");
  const std::string directory_addr = flags.Get("directory");
  const int concurrency = static_cast<int>(bdtx::bench::IntFlag(flags, "concurrency"));
  const int seconds = static_cast<int>(bdtx::bench::IntFlag(flags, "seconds"));
  const int rounds = static_cast<int>(bdtx::bench::IntFlag(flags, "rounds"));
  int first_year = static_cast<int>(bdtx::bench::IntFlag(flags, "first_year"));
  auto key = bdtx::auth::ReadKeyFile(flags.Get("key_file"));
  if (!key.ok()) {
    std::fprintf(stderr, "%s\n", key.status().ToString().c_str());
    return 1;
  }
  auto mint = [&](const bdtx::v1::Person& p) {
    bdtx::auth::Claims c;
    c.subject = p.name();
    for (int r : p.roles()) c.roles.push_back(bdtx::v1::Role_Name(static_cast<bdtx::v1::Role>(r)));
    c.unit = p.home_unit();
    c.issuer = c.audience = "bdtx";
    c.expires_at = absl::Now() + absl::Hours(2);
    return *bdtx::auth::MintJwt(c, {bdtx::auth::JwtAlgorithm::kHs256, *key});
  };
  bdtx::v1::Person admin;
  admin.set_name("operators/approvals-bench");
  admin.add_roles(bdtx::v1::SYSTEM_ADMIN);
  const std::string admin_token = mint(admin);

  auto directory = bdtx::v1::Directory::NewStub(
      grpc::CreateChannel(directory_addr, grpc::InsecureChannelCredentials()));
  auto channel = grpc::CreateChannel(approvals_addr, grpc::InsecureChannelCredentials());
  auto approvals = bdtx::v1::Approvals::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);

  // Core members and their lecturers (from module 4 of 2023 in the demo data).
  std::vector<bdtx::v1::Person> authors;
  std::map<std::string, std::string> lecturer_of;
  std::map<std::string, std::string> tokens;  // person -> token
  for (bdtx::v1::Role role : {bdtx::v1::CORE_TEACHER, bdtx::v1::CORE_MANAGER}) {
    std::string page;
    do {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + admin_token);
      bdtx::v1::ListPeopleRequest req;
      req.set_role(role);
      req.set_page_size(1000);
      req.set_page_token(page);
      bdtx::v1::ListPeopleResponse resp;
      if (!directory->ListPeople(&ctx, req, &resp).ok()) return 1;
      for (const auto& p : resp.people()) authors.push_back(p);
      page = resp.next_page_token();
    } while (!page.empty());
  }
  // Every chain must be new (an old one would only be replayed): start after the
  // newest year a previous run used.
  if (first_year == 0 && !authors.empty()) {
    auto approvals_probe = bdtx::v1::Approvals::NewStub(
        grpc::CreateChannel(approvals_addr, grpc::InsecureChannelCredentials()));
    first_year = 2030;
    for (int y = 2030; y <= 2090; y += 5) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + admin_token);
      bdtx::v1::GetDocumentRequest req;
      req.set_name(absl::StrCat("documents/", authors[0].name().substr(7), "-", y, "-m1-plan"));
      bdtx::v1::Document d;
      grpc::Status s = approvals_probe->GetDocument(&ctx, req, &d);
      if (s.ok() && d.state() != bdtx::v1::DRAFT) first_year = y + 5;
    }
    if (first_year > 2090) {
      std::fprintf(stderr, "every year is used; start from a fresh approvals data dir\n");
      return 1;
    }
  }
  int last_year = static_cast<int>(bdtx::bench::IntFlag(flags, "last_year"));
  last_year = std::min(last_year, 2100);
  std::vector<bdtx::v1::Person> routable;
  for (const auto& a : authors) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_token);
    bdtx::v1::GetSupportGroupRequest req;
    req.set_core_member(a.name());
    req.set_year(2023);
    req.set_module(4);
    bdtx::v1::SupportGroup group;
    if (!directory->GetSupportGroup(&ctx, req, &group).ok() || group.lecturer().empty()) continue;
    routable.push_back(a);
    lecturer_of[a.name()] = group.lecturer();
  }
  // Lecturer assignments for the bench years, one import per year (gRPC message limit).
  for (int y = first_year; y <= last_year; ++y) {
    std::string csv = "year,module,kind,from_id,to_id\n";
    for (const auto& a : routable) {
      for (int m = 1; m <= 9; ++m) {
        absl::StrAppend(&csv, y, ",", m, ",lecturer,", lecturer_of[a.name()].substr(7), ",",
                        a.name().substr(7), "\n");
      }
    }
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
    bdtx::v1::ImportCsvRequest req;
    req.set_kind(bdtx::v1::ASSIGNMENTS);
    req.set_file_name(absl::StrCat("bench-lecturers-", y, ".csv"));
    req.set_content(csv);
    bdtx::v1::ImportCsvResponse resp;
    grpc::Status s = directory->ImportCsv(&ctx, req, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "import: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  auto token_of = [&](const std::string& person) -> std::string {
    auto it = tokens.find(person);
    if (it != tokens.end()) return it->second;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_token);
    bdtx::v1::GetPersonRequest req;
    req.set_name(person);
    bdtx::v1::Person p;
    if (!directory->GetPerson(&ctx, req, &p).ok()) return "";
    return tokens[person] = mint(p);
  };
  for (const auto& a : routable) {
    token_of(a.name());
    token_of(lecturer_of[a.name()]);
  }
  std::printf(
      "%zu routable core members; years %d..%d; %d calls in flight; %d s phases; %d rounds\n",
      routable.size(), first_year, last_year, concurrency, seconds, rounds);

  // Documents: (author, year, module) plans, all new.
  std::atomic<int64_t> next_doc{0};
  const int64_t docs_per_year = static_cast<int64_t>(routable.size()) * 9;
  std::mutex tokens_mu;
  std::map<std::string, std::string> signer_tokens;

  std::vector<double> ratios;
  for (int round = 1; round <= rounds; ++round) {
    // Phase 1: no-op baseline.
    Stats noop;
    cpu.Start();
    {
      std::atomic<bool> stop{false};
      std::atomic<int> in_flight{0};
      absl::Notification drained;
      std::function<void()> issue = [&] {
        struct Call {
          grpc::ClientContext ctx;
          grpc::health::v1::HealthCheckRequest req;
          grpc::health::v1::HealthCheckResponse resp;
          absl::Time t0 = absl::Now();
        };
        auto* call = new Call;
        ++in_flight;
        health->async()->Check(&call->ctx, &call->req, &call->resp, [&, call](grpc::Status s) {
          noop.Add(absl::Now() - call->t0, s);
          delete call;
          if (!stop) issue();
          if (--in_flight == 0 && stop) drained.Notify();
        });
      };
      for (int i = 0; i < concurrency; ++i) issue();
      absl::SleepFor(absl::Seconds(seconds));
      stop = true;
      drained.WaitForNotificationWithTimeout(absl::Seconds(30));
    }
    cpu.PerCall("health Check", noop.count());
    // Phase 2: chains.
    Stats transitions;
    cpu.Start();
    std::atomic<int64_t> chains_done{0};
    {
      std::atomic<bool> stop{false};
      std::atomic<int> in_flight{0};
      absl::Notification drained;
      struct Chain {
        std::string doc, author, lecturer;
        int step = 0;
        std::string signer_token;
      };
      std::function<void(std::shared_ptr<Chain>)> step;
      auto start_chain = [&]() {
        const int64_t n = next_doc++;
        if (first_year + n / docs_per_year > last_year) {  // out of fresh documents
          stop = true;
          return;
        }
        const auto& a = routable[(n / 9) % routable.size()];
        const int year = first_year + static_cast<int>(n / docs_per_year);
        const int module = static_cast<int>(n % 9) + 1;
        auto chain = std::make_shared<Chain>();
        chain->doc =
            absl::StrCat("documents/", a.name().substr(7), "-", year, "-m", module, "-plan");
        chain->author = a.name();
        chain->lecturer = lecturer_of[a.name()];
        step(chain);
      };
      step = [&](std::shared_ptr<Chain> chain) {
        struct Call {
          grpc::ClientContext ctx;
          bdtx::v1::Document resp;
          bdtx::v1::SubmitRequest submit;
          bdtx::v1::ApproveRequest approve;
          bdtx::v1::SignOffRequest sign;
          absl::Time t0 = absl::Now();
        };
        auto* call = new Call;
        ++in_flight;
        auto done = [&, call, chain](grpc::Status s) {
          transitions.Add(absl::Now() - call->t0, s);
          bool next = s.ok() && chain->step < 2;
          if (s.ok() && chain->step == 0) {
            // The signer: a routed person.
            const auto& people = call->resp.routing().sign_off().people();
            if (people.empty()) {
              next = false;
            } else {
              std::lock_guard<std::mutex> lock(tokens_mu);
              auto& t = signer_tokens[people[0]];
              if (t.empty()) t = token_of(people[0]);
              chain->signer_token = t;
            }
          }
          if (s.ok() && chain->step == 2) ++chains_done;
          ++chain->step;
          delete call;
          if (!stop) {
            if (next) {
              step(chain);
            } else {
              start_chain();
            }
          }
          if (--in_flight == 0 && stop) drained.Notify();
        };
        if (chain->step == 0) {
          call->ctx.AddMetadata("authorization", "Bearer " + tokens[chain->author]);
          call->submit.set_document(chain->doc);
          call->submit.set_content_sha256(std::string(64, 'c'));
          call->submit.set_request_id("submit");
          approvals->async()->Submit(&call->ctx, &call->submit, &call->resp, done);
        } else if (chain->step == 1) {
          call->ctx.AddMetadata("authorization", "Bearer " + tokens[chain->lecturer]);
          call->approve.set_document(chain->doc);
          call->approve.set_request_id("approve");
          approvals->async()->Approve(&call->ctx, &call->approve, &call->resp, done);
        } else {
          call->ctx.AddMetadata("authorization", "Bearer " + chain->signer_token);
          call->sign.set_document(chain->doc);
          call->sign.set_method(bdtx::v1::ONLINE);
          call->sign.set_request_id("sign");
          approvals->async()->SignOff(&call->ctx, &call->sign, &call->resp, done);
        }
      };
      for (int i = 0; i < concurrency; ++i) start_chain();
      absl::SleepFor(absl::Seconds(seconds));
      stop = true;
      drained.WaitForNotificationWithTimeout(absl::Seconds(30));
    }
    cpu.PerCall("transitions", transitions.count());
    std::printf("round %d\n", round);
    Print("health Check", noop, seconds);
    Print("transitions", transitions, seconds);
    std::printf("full chains: %lld (%.0f/s)\n", static_cast<long long>(chains_done.load()),
                chains_done.load() / static_cast<double>(seconds));
    double a, b;
    {
      std::lock_guard<std::mutex> l1(noop.mu);
      a = noop.latencies.size();
    }
    {
      std::lock_guard<std::mutex> l2(transitions.mu);
      b = transitions.latencies.size();
    }
    ratios.push_back(b / a);
    std::printf("transitions / health = %.2f\n", b / a);
  }
  std::sort(ratios.begin(), ratios.end());
  std::printf("median transitions / health over %d rounds = %.2f (target >= 0.4)\n", rounds,
              ratios[ratios.size() / 2]);
  return 0;
}
