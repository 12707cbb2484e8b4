// Hand-run benchmark of the HTTP gateway (not in CI; figures in docs/perf.md, "Gateway").
// Starts its own directory (a synthetic school: `core_members` core teachers and their
// lecturer for every module of 2030-2100), approvals, notifications and bdtx-gateway
// (rate limits off) from this build.
//
// Phase 1 — approve, REST vs native gRPC. Submits (native gRPC) enough plans, then
// approves them as the lecturer with `concurrency` calls in flight for `rounds` rounds,
// each round once natively (one channel, callback API) and once as
// `POST /v1/documents/{id}:approve` through the gateway (`concurrency` keep-alive HTTP/1.1
// connections, one libcurl handle and thread each), `per_round` documents each. Prints
// both rates, their ratio, p50/p99 and the gateway's p99 overhead (REST p99 − native p99),
// with the gateway's CPU per call.
//
// Phase 2 — idle live streams. Opens `streams` Server-Sent-Events streams
// (`GET /v1/notifications:watch`, the lecturer's inbox, after its newest notification)
// from one epoll thread, waits until the gateway has answered all of them, reads the
// gateway's resident memory, then a teacher submits one plan: the time until every
// stream has its `data:` event (max and p99). The process needs `ulimit -n` above
// `streams` + 100 (the gateway inherits it).
//
//   gateway_bench [--concurrency=64] [--per_round=2000] [--rounds=3] [--core_members=40]
//                 [--streams=10000] [--gateway_threads=2]
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/notifications.grpc.pb.h"
#include "bench/bench_services.h"
#include "bench/bench_util.h"
#include "common/testing/temp_dir.h"
#include "grpcpp/grpcpp.h"

namespace {

using bdtx::bench::Started;
using bdtx::bench::StartOrExit;
using bdtx::bench::Stats;

size_t Discard(char*, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append("x");  // only whether a body came
  return size * n;
}

// Approves `docs` (document ids) through the gateway: `concurrency` threads, each with
// its own keep-alive connection, taking the next document from a shared index.
void ApproveOverRest(const std::string& base, const std::string& token,
                     const std::vector<std::string>& docs, int concurrency, Stats& stats) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&] {
      CURL* curl = curl_easy_init();
      curl_slist* headers = nullptr;
      headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
      headers = curl_slist_append(headers, "Content-Type: application/json");
      std::string sink;
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
      curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
      curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
      static const char kBody[] = R"({"comment":"Đạt"})";
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, kBody);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(sizeof kBody - 1));
      for (size_t i; (i = next++) < docs.size();) {
        const std::string url = absl::StrCat(base, "/v1/documents/", docs[i], ":approve");
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        const absl::Time start = absl::Now();
        const CURLcode code = curl_easy_perform(curl);
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        grpc::Status s = grpc::Status::OK;
        if (code != CURLE_OK || status != 200) {
          s = grpc::Status(grpc::StatusCode::UNKNOWN,
                           absl::StrCat("HTTP ", status, " ", curl_easy_strerror(code)));
        }
        stats.Add(absl::Now() - start, s);
      }
      curl_slist_free_all(headers);
      curl_easy_cleanup(curl);
    });
  }
  for (auto& t : threads) t.join();
}

// The same approvals natively: `concurrency` calls in flight on one channel.
void ApproveOverGrpc(bdtx::v1::Approvals::Stub& stub, const std::string& token,
                     const std::vector<std::string>& docs, int concurrency, Stats& stats) {
  bdtx::bench::Drive(concurrency, absl::Hours(1), static_cast<int64_t>(docs.size()), stats,
                     [&](int64_t i, std::function<void(grpc::Status)> done) {
                       struct Call {
                         grpc::ClientContext ctx;
                         bdtx::v1::ApproveRequest req;
                         bdtx::v1::Document resp;
                       };
                       auto call = std::make_shared<Call>();
                       call->ctx.AddMetadata("authorization", "Bearer " + token);
                       call->req.set_document("documents/" + docs[static_cast<size_t>(i)]);
                       call->req.set_comment("Đạt");
                       stub.async()->Approve(&call->ctx, &call->req, &call->resp,
                                             [call, done](grpc::Status s) { done(s); });
                     });
}

int Connect(const sockaddr_in& address) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  const bdtx::server::Flags flags = bdtx::bench::ParseFlagsOrExit(argc, argv,
                                                                  {{"concurrency", "64"},
                                                                   {"per_round", "2000"},
                                                                   {"rounds", "3"},
                                                                   {"core_members", "40"},
                                                                   {"streams", "10000"},
                                                                   {"gateway_threads", "2"}});
  const int concurrency = static_cast<int>(bdtx::bench::IntFlag(flags, "concurrency"));
  const int per_round = static_cast<int>(bdtx::bench::IntFlag(flags, "per_round"));
  const int rounds = static_cast<int>(bdtx::bench::IntFlag(flags, "rounds"));
  const int cores = static_cast<int>(bdtx::bench::IntFlag(flags, "core_members"));
  const int streams = static_cast<int>(bdtx::bench::IntFlag(flags, "streams"));
  const int needed = 2 * rounds * per_round;
  const int years = 71;  // 2030..2100
  if (cores * years * 9 < needed + 1) {
    std::fprintf(stderr, "need --core_members * 639 > 2 * --rounds * --per_round\n");
    return 2;
  }
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < static_cast<rlim_t>(streams) + 100) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, static_cast<rlim_t>(streams) + 200);
    setrlimit(RLIMIT_NOFILE, &files);
    getrlimit(RLIMIT_NOFILE, &files);
    std::printf("open files limit %llu (hard %llu)\n",
                static_cast<unsigned long long>(files.rlim_cur),
                static_cast<unsigned long long>(files.rlim_max));
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);

  bdtx::testing::TempDir dir;
  const std::string key_arg = "--auth_key_file=" + dir.Sub("auth.key");
  Started directory =
      StartOrExit(BDTX_DIRECTORY_PATH, {"--data_dir=" + dir.Sub("directory"), key_arg});
  auto key = bdtx::auth::ReadKeyFile(dir.Sub("auth.key"));
  if (!key.ok()) return 1;
  auto mint = [&](const std::string& name, std::vector<std::string> roles) {
    return bdtx::bench::MintToken(*key, name, std::move(roles));
  };
  const std::string admin = mint("operators/gateway-bench", {"SYSTEM_ADMIN"});
  // Which documents: teacher c, year y, module m — ids in a fixed order.
  std::vector<std::string> docs;
  std::string people = bdtx::bench::kBenchPeopleHeader;
  std::string assignments = "year,module,kind,from_id,to_id\n";
  for (int c = 0; c < cores; ++c) {
    absl::StrAppendFormat(&people, "gvcc-g%03d,,Cốt cán %d,core_teacher,thcs-bench,Toán,THCS,\n", c,
                          c);
  }
  for (int y = 2030; y < 2030 + years; ++y) {
    for (int m = 1; m <= 9; ++m) {
      for (int c = 0; c < cores; ++c) {
        absl::StrAppendFormat(&assignments, "%d,%d,lecturer,gvsp-bench,gvcc-g%03d\n", y, m, c);
        docs.push_back(absl::StrFormat("gvcc-g%03d-%d-m%d-plan", c, y, m));
      }
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
  Started gateway = StartOrExit(
      BDTX_GATEWAY_PATH,
      {"--directory=" + directory.address, "--approvals=" + approvals.address,
       "--notifications=" + notifications.address, "--plans=127.0.0.1:1", "--grading=127.0.0.1:1",
       "--support=127.0.0.1:1", "--rate_limit=0", "--threads=" + flags.Get("gateway_threads")});
  const std::string base = "http://" + gateway.address;
  auto approvals_stub = bdtx::v1::Approvals::NewStub(
      grpc::CreateChannel(approvals.address, grpc::InsecureChannelCredentials()));
  const std::string lecturer = mint("people/gvsp-bench", {"PEDAGOGY_LECTURER"});
  std::vector<std::string> author_tokens;
  for (int c = 0; c < cores; ++c) {
    author_tokens.push_back(mint(absl::StrFormat("people/gvcc-g%03d", c), {"CORE_TEACHER"}));
  }
  auto submit = [&](size_t i) {
    const int c = static_cast<int>(i % static_cast<size_t>(cores));
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + author_tokens[static_cast<size_t>(c)]);
    bdtx::v1::SubmitRequest req;
    req.set_document("documents/" + docs[i]);
    req.set_content_sha256(absl::StrFormat("%064d", i));
    bdtx::v1::Document out;
    return approvals_stub->Submit(&ctx, req, &out);
  };

  // ---- phase 1: approve, native vs REST
  {
    std::printf("submitting %d plans...\n", needed);
    std::fflush(stdout);
    std::atomic<int> next{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> submitters;
    for (int t = 0; t < 16; ++t) {
      submitters.emplace_back([&] {
        for (int i; (i = next++) < needed;) {
          grpc::Status s = submit(static_cast<size_t>(i));
          if (!s.ok() && failed++ == 0)
            std::fprintf(stderr, "submit: %s\n", s.error_message().c_str());
        }
      });
    }
    for (auto& t : submitters) t.join();
    if (failed > 0) return 1;
  }
  bdtx::bench::CpuMeter cpu(
      {{"gateway", gateway.process->pid()}, {"approvals", approvals.process->pid()}});
  double native_rate = 0, rest_rate = 0;
  std::vector<double> native_p99, rest_p99, ratio;
  size_t used = 0;
  for (int r = 0; r < rounds; ++r) {
    for (bool rest : {false, true}) {
      std::vector<std::string> batch(docs.begin() + static_cast<long>(used),
                                     docs.begin() + static_cast<long>(used + per_round));
      used += static_cast<size_t>(per_round);
      Stats stats;
      cpu.Start();
      const absl::Time start = absl::Now();
      if (rest) {
        ApproveOverRest(base, lecturer, batch, concurrency, stats);
      } else {
        ApproveOverGrpc(*approvals_stub, lecturer, batch, concurrency, stats);
      }
      const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
      bdtx::bench::Print(rest ? "REST approve" : "gRPC approve", stats, seconds);
      cpu.PerCall(rest ? "REST approve" : "gRPC approve", stats.count());
      std::lock_guard<std::mutex> lock(stats.mu);
      const auto p = bdtx::bench::ComputePercentiles(stats.latencies);
      (rest ? rest_p99 : native_p99).push_back(absl::ToDoubleMilliseconds(p.p99));
      (rest ? rest_rate : native_rate) = stats.latencies.size() / seconds;
      if (stats.errors > 0) return 1;
    }
    ratio.push_back(rest_rate / native_rate);
    std::printf("round %d: REST/native rate %.2f, p99 overhead %.2f ms\n", r + 1, ratio.back(),
                rest_p99.back() - native_p99.back());
  }
  std::sort(ratio.begin(), ratio.end());
  std::vector<double> overhead;
  for (size_t i = 0; i < rest_p99.size(); ++i) overhead.push_back(rest_p99[i] - native_p99[i]);
  std::sort(overhead.begin(), overhead.end());
  std::printf(
      "RESULT approve at %d in flight: REST/native median %.2f (target >= 0.6); "
      "gateway p99 overhead median %.2f ms (target <= 2 ms)\n",
      concurrency, ratio[ratio.size() / 2], overhead[overhead.size() / 2]);
  std::fflush(stdout);

  // ---- phase 2: idle live streams
  const int64_t rss_before = bdtx::bench::RssKb(gateway.process->pid());
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(
      std::atoi(gateway.address.substr(gateway.address.rfind(':') + 1).c_str())));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  // After the lecturer's newest notification, so the streams start idle.
  int64_t after = 0;
  {
    auto n_stub = bdtx::v1::Notifications::NewStub(
        grpc::CreateChannel(notifications.address, grpc::InsecureChannelCredentials()));
    // Phase 1 made one notification per submission: page through them (the page token
    // is the sequence to list after) until nothing new comes for 1.5 s.
    for (int idle = 0, tries = 0; idle < 3 && tries < 2000; ++tries) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + lecturer);
      bdtx::v1::ListNotificationsRequest req;
      req.set_page_size(500);
      req.set_page_token(absl::StrCat(after));
      bdtx::v1::ListNotificationsResponse resp;
      if (n_stub->ListNotifications(&ctx, req, &resp).ok() && resp.notifications_size() > 0) {
        idle = 0;
        after = resp.notifications(resp.notifications_size() - 1).sequence();
        continue;
      }
      ++idle;
      absl::SleepFor(absl::Milliseconds(500));
    }
    std::printf("the lecturer's inbox ends at sequence %lld\n", static_cast<long long>(after));
  }
  const std::string request = absl::StrCat("GET /v1/notifications:watch?afterSequence=", after,
                                           " HTTP/1.1\r\nHost: bench\r\n", "Authorization: Bearer ",
                                           lecturer, "\r\nAccept: text/event-stream\r\n\r\n");
  const int epoll = epoll_create1(0);
  struct Conn {
    int fd = -1;
    bool sent = false, headers = false, got = false;
    std::string in;
    absl::Time got_at;
  };
  std::vector<Conn> conns(static_cast<size_t>(streams));
  int opened = 0;
  std::string open_error;
  for (int i = 0; i < streams; ++i) {
    const int fd = Connect(address);
    if (fd < 0) {
      open_error = absl::StrCat("socket/connect: ", strerror(errno));
      break;
    }
    conns[static_cast<size_t>(i)].fd = fd;
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev);
    ++opened;
  }
  std::atomic<int> answered{0}, delivered{0}, failed{0};
  std::atomic<bool> stop{false};
  std::thread loop([&] {
    std::vector<epoll_event> events(1024);
    char buf[4096];
    while (!stop) {
      const int n = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 100);
      for (int e = 0; e < n; ++e) {
        Conn& c = conns[events[static_cast<size_t>(e)].data.u32];
        if (c.fd < 0) continue;
        if (!c.sent && (events[static_cast<size_t>(e)].events & EPOLLOUT)) {
          if (write(c.fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
            ++failed;
            close(c.fd);
            c.fd = -1;
            continue;
          }
          c.sent = true;
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u32 = events[static_cast<size_t>(e)].data.u32;
          epoll_ctl(epoll, EPOLL_CTL_MOD, c.fd, &ev);
        }
        if (events[static_cast<size_t>(e)].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
          const ssize_t r = read(c.fd, buf, sizeof buf);
          if (r <= 0) {
            if (r == 0 || errno != EAGAIN) {
              ++failed;
              close(c.fd);
              c.fd = -1;
            }
            continue;
          }
          c.in.append(buf, static_cast<size_t>(r));
          if (!c.headers && absl::StrContains(c.in, "\r\n\r\n")) {
            c.headers = true;
            if (absl::StartsWith(c.in, "HTTP/1.1 200")) {
              ++answered;
            } else {
              ++failed;
            }
          }
          if (c.headers && !c.got && absl::StrContains(c.in, "\ndata:")) {
            c.got = true;
            c.got_at = absl::Now();
            ++delivered;
          }
          if (c.in.size() > 1 << 16) c.in.erase(0, c.in.size() - 256);
        }
      }
    }
  });
  const absl::Time opening = absl::Now();
  while (answered + failed < opened && absl::Now() - opening < absl::Minutes(3)) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  absl::SleepFor(absl::Seconds(2));  // settle
  const int64_t rss = bdtx::bench::RssKb(gateway.process->pid());
  std::printf(
      "streams: %d opened, %d answered 200, %d failed %s in %.1f s; gateway RSS %lld MiB "
      "(%lld MiB before), %.1f KiB per stream\n",
      opened, answered.load(), failed.load(), open_error.c_str(),
      absl::ToDoubleSeconds(absl::Now() - opening), static_cast<long long>(rss / 1024),
      static_cast<long long>(rss_before / 1024),
      answered > 0 ? static_cast<double>(rss - rss_before) / answered : 0.0);
  std::fflush(stdout);
  // One new notification for the lecturer: a plan submitted.
  const absl::Time sent_at = absl::Now();
  grpc::Status s = submit(static_cast<size_t>(needed));
  if (!s.ok()) std::fprintf(stderr, "submit: %s\n", s.error_message().c_str());
  while (delivered < answered && absl::Now() - sent_at < absl::Seconds(30)) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  stop = true;
  loop.join();
  std::vector<absl::Duration> lags;
  for (const Conn& c : conns) {
    if (c.got) lags.push_back(c.got_at - sent_at);
  }
  const auto p = bdtx::bench::ComputePercentiles(lags);
  const absl::Duration max = lags.empty() ? absl::ZeroDuration() : lags.back();
  std::printf(
      "RESULT %d idle SSE streams: gateway RSS %lld MiB (target <= 500); the new "
      "notification reached %d of %d in max %s, p50 %s, p99 %s (target <= 2 s)\n",
      answered.load(), static_cast<long long>(rss / 1024), delivered.load(), answered.load(),
      absl::FormatDuration(max).c_str(), absl::FormatDuration(p.p50).c_str(),
      absl::FormatDuration(p.p99).c_str());
  for (Conn& c : conns) {
    if (c.fd >= 0) close(c.fd);
  }
  close(epoll);
  curl_global_cleanup();
  return 0;
}
