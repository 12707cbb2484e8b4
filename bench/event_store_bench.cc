// Hand-run benchmark of RocksDbEventStore (not in CI). Prints, in one run:
//   1. the machine's plain write+fdatasync rate in the store's directory (baseline);
//   2. synced appends/s and latency percentiles at 1, 8, 64, 256 concurrent appenders,
//      each as a ratio to the baseline;
//   3. ReadAll replay rate over --replay_events events.
//
// Usage: event_store_bench [--dir=/tmp/bdtx-bench] [--seconds=3]
//                          [--writers=1,8,64,256] [--replay_events=10000000]
//                          [--keep=1: keep the filled replay store for the next run]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/bench_util.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "google/protobuf/wrappers.pb.h"

namespace {

using bdtx::eventstore::AppendRequest;
using bdtx::eventstore::AppendResult;
using bdtx::eventstore::RocksDbEventStore;

double FdatasyncRate(const std::string& dir, absl::Duration duration) {
  const std::string path = dir + "/fdatasync-probe";
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) return 0;
  const std::string block(200, 'x');
  int64_t n = 0;
  const absl::Time end = absl::Now() + duration;
  const absl::Time start = absl::Now();
  while (absl::Now() < end) {
    if (write(fd, block.data(), block.size()) < 0) break;
    fdatasync(fd);
    ++n;
  }
  const double rate = n / absl::ToDoubleSeconds(absl::Now() - start);
  close(fd);
  unlink(path.c_str());
  return rate;
}

bdtx::v1::EventEnvelope BenchEvent(const std::string& text) {
  google::protobuf::StringValue payload;
  payload.set_value(text);
  return bdtx::eventstore::MakeEvent(payload, "people/bench", absl::Now());
}

struct LevelResult {
  int writers;
  double rate;
  absl::Duration p50, p99, p999;
};

// `writers` appends in flight at all times, submitted by two threads with the async
// API, as the gRPC callback handlers do (no thread parked per append).
LevelResult RunAsyncLevel(const std::string& dir, int writers, absl::Duration duration) {
  std::filesystem::remove_all(dir);
  auto store = RocksDbEventStore::Open(dir);
  if (!store.ok()) std::exit(1);
  const std::string body(200, 'p');
  std::counting_semaphore<1 << 20> slots(writers);
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<absl::Duration> latencies;
  constexpr int kSubmitters = 2;
  std::vector<std::thread> threads;
  for (int t = 0; t < kSubmitters; ++t) {
    threads.emplace_back([&, t] {
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        slots.acquire();
        AppendRequest req;
        // One stream per append: the async mode measures the commit path, not conflicts.
        req.stream = absl::StrCat("documents/", t, "-", i);
        req.expected_version = 0;
        req.request_id = absl::StrCat("a", t, "-", i);
        req.events.push_back(BenchEvent(body));
        req.read_model_writes.push_back({absl::StrCat("inbox/", t, "/", i), "pending"});
        const absl::Time t0 = absl::Now();
        (*store)->AppendAsync(std::move(req), [&, t0](absl::StatusOr<AppendResult> r) {
          if (!r.ok()) std::exit(1);
          {
            std::lock_guard<std::mutex> lock(mu);
            latencies.push_back(absl::Now() - t0);
          }
          slots.release();
        });
      }
    });
  }
  const absl::Time start = absl::Now();
  absl::SleepFor(duration);
  stop = true;
  for (int i = 0; i < kSubmitters; ++i) slots.release();  // unblock submitters
  for (auto& t : threads) t.join();
  double seconds;
  std::vector<absl::Duration> all;
  {
    std::lock_guard<std::mutex> lock(mu);
    seconds = absl::ToDoubleSeconds(absl::Now() - start);
    all = latencies;
  }
  store->reset();  // drains what is in flight
  const bdtx::bench::Percentiles p = bdtx::bench::ComputePercentiles(all);
  return {writers, all.size() / seconds, p.p50, p.p99, p.p999};
}

LevelResult RunLevel(const std::string& dir, int writers, absl::Duration duration) {
  std::filesystem::remove_all(dir);
  auto store = RocksDbEventStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  const std::string body(200, 'p');  // about the size of an approval event
  std::atomic<bool> stop{false};
  std::vector<std::vector<absl::Duration>> latencies(writers);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      std::vector<int64_t> versions(100, 0);
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        const int s = static_cast<int>(i % 100);
        AppendRequest req;
        req.stream = absl::StrCat("documents/", w, "-", s);
        req.expected_version = versions[s];
        req.request_id = absl::StrCat("w", w, "-", i);
        req.events.push_back(BenchEvent(body));
        req.read_model_writes.push_back({absl::StrCat("inbox/", w, "/", s), "pending"});
        const absl::Time t0 = absl::Now();
        auto r = (*store)->Append(std::move(req));
        latencies[w].push_back(absl::Now() - t0);
        if (!r.ok()) {
          std::fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
          std::exit(1);
        }
        versions[s] = r->last_version;
      }
    });
  }
  const absl::Time start = absl::Now();
  absl::SleepFor(duration);
  stop = true;
  for (auto& t : threads) t.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<absl::Duration> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  const bdtx::bench::Percentiles p = bdtx::bench::ComputePercentiles(all);
  return {writers, all.size() / seconds, p.p50, p.p99, p.p999};
}

void Replay(const std::string& dir, int64_t events) {
  auto store = RocksDbEventStore::Open(dir);
  if (!store.ok()) std::exit(1);
  if ((*store)->LastPosition() != events) {  // reuse a store kept by --keep=1
    store->reset();
    std::filesystem::remove_all(dir);
    store = RocksDbEventStore::Open(dir);
    if (!store.ok()) std::exit(1);
  }
  constexpr int kPerAppend = 200;
  const int writers = 32;
  std::atomic<int64_t> next{0};
  const absl::Time fill_start = absl::Now();
  std::vector<std::thread> threads;
  const std::string body(120, 'r');
  for (int w = 0; w < writers && (*store)->LastPosition() == 0; ++w) {
    threads.emplace_back([&, w] {
      int64_t version = 0;
      while (true) {
        const int64_t base = next.fetch_add(kPerAppend);
        if (base >= events) return;
        AppendRequest req;
        req.stream = absl::StrCat("replay/", w);
        req.expected_version = version;
        for (int i = 0; i < kPerAppend; ++i) req.events.push_back(BenchEvent(body));
        auto r = (*store)->Append(std::move(req));
        if (!r.ok()) std::exit(1);
        version = r->last_version;
        if (base % 1'000'000 < kPerAppend) {
          std::fprintf(stderr, "  filled %lld events\n", static_cast<long long>(base));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const int64_t stored = (*store)->LastPosition();
  if (threads.empty()) {
    std::printf("replay: reusing the kept store with %lld events\n",
                static_cast<long long>(stored));
  } else {
    std::printf("replay: wrote %lld events in %.1f s\n", static_cast<long long>(stored),
                absl::ToDoubleSeconds(absl::Now() - fill_start));
  }
  const absl::Time start = absl::Now();
  int64_t read = 0;
  int64_t position = 1;
  int64_t payload_bytes = 0;
  while (true) {
    auto n = (*store)->ScanAll(position, 100'000, [&](const bdtx::v1::EventEnvelope& e) {
      payload_bytes += static_cast<int64_t>(e.payload().value().size());  // touch the data
      return true;
    });
    if (!n.ok()) {
      std::fprintf(stderr, "read: %s\n", n.status().ToString().c_str());
      std::exit(1);
    }
    if (*n == 0) break;
    read += *n;
    position += *n;
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  (void)payload_bytes;
  std::printf("replay: ScanAll %lld events in %.2f s = %.0f events/s (target >= 1,000,000)\n",
              static_cast<long long>(read), seconds, read / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const bdtx::server::Flags flags = bdtx::bench::ParseFlagsOrExit(argc, argv,
                                                                  {{"dir", "/tmp/bdtx-bench"},
                                                                   {"seconds", "3"},
                                                                   {"replay_events", "10000000"},
                                                                   {"writers", "1,8,64,256"},
                                                                   {"keep", "0"}});
  const std::string dir = flags.Get("dir");
  const int seconds = static_cast<int>(bdtx::bench::IntFlag(flags, "seconds"));
  const int64_t replay_events = bdtx::bench::IntFlag(flags, "replay_events");
  std::vector<int> levels;
  for (absl::string_view w : absl::StrSplit(flags.Get("writers"), ',')) {
    int v = 0;
    if (absl::SimpleAtoi(w, &v) && v > 0) levels.push_back(v);
  }
  std::filesystem::create_directories(dir);

  const double fsync = FdatasyncRate(dir, absl::Seconds(seconds));
  std::printf("baseline: plain write+fdatasync %.0f/s\n", fsync);
  for (const std::string mode : {"threads", "async"}) {
    std::printf("\nmode %s: %s\n", mode.c_str(),
                mode == "threads" ? "one blocked thread per concurrent appender"
                                  : "N appends in flight through AppendAsync");
    std::printf("%8s %12s %10s %10s %10s %10s\n", "appenders", "appends/s", "x fsync", "p50", "p99",
                "p999");
    for (int w : levels) {
      LevelResult r = mode == "threads"
                          ? RunLevel(dir + "/appends", w, absl::Seconds(seconds))
                          : RunAsyncLevel(dir + "/appends", w, absl::Seconds(seconds));
      std::printf("%8d %12.0f %10.1f %10s %10s %10s\n", r.writers, r.rate, r.rate / fsync,
                  absl::FormatDuration(r.p50).c_str(), absl::FormatDuration(r.p99).c_str(),
                  absl::FormatDuration(r.p999).c_str());
      std::fflush(stdout);
    }
  }
  if (replay_events > 0) Replay(dir + "/replay", replay_events);
  if (flags.Get("keep") != "1") std::filesystem::remove_all(dir);
  return 0;
}
