// Shared helpers of the hand-run benchmarks: flags (the services' own Flags class, so
// `--name=value` and BDTX_* work the same way) and latency percentiles.
#ifndef BDTX_BENCH_BENCH_UTIL_H_
#define BDTX_BENCH_BENCH_UTIL_H_

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/server/flags.h"
#include "grpcpp/support/status.h"

namespace bdtx::bench {

// Defines `defaults` (name, default value) and parses argv and BDTX_* variables; prints
// usage and exits on --help or a bad flag.
inline server::Flags ParseFlagsOrExit(
    int argc, char** argv, std::initializer_list<std::pair<const char*, const char*>> defaults) {
  server::Flags flags;
  for (const auto& [name, value] : defaults) flags.Define(name, value, "see the file comment");
  absl::Status s = flags.Parse(argc, argv, server::ProcessEnvironment());
  if (!s.ok() || flags.help_requested()) {
    if (!s.ok()) std::fprintf(stderr, "%s\n", s.ToString().c_str());
    std::fputs(flags.Usage(argv[0]).c_str(), stderr);
    std::exit(s.ok() ? 0 : 2);
  }
  return flags;
}

// An integer flag; exits with a clear message when it is not one.
inline int64_t IntFlag(const server::Flags& flags, const std::string& name) {
  absl::StatusOr<int64_t> v = flags.GetInt(name);
  if (!v.ok()) {
    std::fprintf(stderr, "%s\n", v.status().ToString().c_str());
    std::exit(2);
  }
  return *v;
}

struct Percentiles {
  absl::Duration p50, p99, p999;
};

// Sorts `latencies` and reads the percentiles (zero when empty).
inline Percentiles ComputePercentiles(std::vector<absl::Duration>& latencies) {
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double p) {
    if (latencies.empty()) return absl::ZeroDuration();
    return latencies[std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()))];
  };
  return {at(0.5), at(0.99), at(0.999)};
}

// Latencies and errors of one phase; thread-safe.
struct Stats {
  std::mutex mu;
  std::vector<absl::Duration> latencies;
  int64_t errors = 0;
  std::string first_error;
  void Add(absl::Duration d, const grpc::Status& s) {
    std::lock_guard<std::mutex> lock(mu);
    latencies.push_back(d);
    if (!s.ok() && errors++ == 0) first_error = s.error_message();
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return latencies.size();
  }
};

// One line: rate over `seconds`, p50/p99/p999, errors and the first error's message.
inline void Print(const char* what, Stats& stats, double seconds) {
  std::lock_guard<std::mutex> lock(stats.mu);
  const Percentiles p = ComputePercentiles(stats.latencies);
  std::printf("%-14s %9.0f/s  p50 %-10s p99 %-10s p999 %-10s errors %lld %s\n", what,
              stats.latencies.size() / seconds, absl::FormatDuration(p.p50).c_str(),
              absl::FormatDuration(p.p99).c_str(), absl::FormatDuration(p.p999).c_str(),
              static_cast<long long>(stats.errors), stats.first_error.c_str());
  std::fflush(stdout);
}

// CPU time (user + system) a process has used so far, in seconds; -1 when unknown.
// Benches compare it across a phase: CPU per call is steadier than calls per second on
// a machine whose two cores the client and the services share.
inline double ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::atoll(field.c_str());
    if (i == 15) stime = std::atoll(field.c_str());
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU used by a set of processes over one phase: Start() before, then PerCall(n) prints
// each process's CPU microseconds per call for n calls.
class CpuMeter {
 public:
  explicit CpuMeter(std::vector<std::pair<std::string, int>> processes)
      : processes_(std::move(processes)) {}
  void Start() {
    start_.clear();
    for (const auto& [name, pid] : processes_) start_.push_back(ProcessCpuSeconds(pid));
  }
  void PerCall(const char* what, size_t calls) const {
    if (processes_.empty() || calls == 0) return;
    std::printf("%-14s CPU per call:", what);
    double total = 0;
    for (size_t i = 0; i < processes_.size(); ++i) {
      const double used = ProcessCpuSeconds(processes_[i].second) - start_[i];
      total += used;
      std::printf(" %s %.1f us", processes_[i].first.c_str(), used * 1e6 / calls);
    }
    std::printf(" | all %.1f us\n", total * 1e6 / calls);
  }

 private:
  std::vector<std::pair<std::string, int>> processes_;
  std::vector<double> start_;
};

// "--pids=approvals:123,directory:456": this process (as "client") and the named ones;
// exits on a malformed list.
inline CpuMeter CpuMeterOrExit(const std::string& spec) {
  std::vector<std::pair<std::string, int>> measured = {{"client", getpid()}};
  std::istringstream entries(spec);
  std::string entry;
  while (std::getline(entries, entry, ',')) {
    if (entry.empty()) continue;
    const size_t colon = entry.find(':');
    const int pid = colon == std::string::npos ? 0 : std::atoi(entry.c_str() + colon + 1);
    if (pid <= 0) {
      std::fprintf(stderr, "--pids wants name:pid,name:pid; got '%s'\n", entry.c_str());
      std::exit(2);
    }
    measured.emplace_back(entry.substr(0, colon), pid);
  }
  return CpuMeter(std::move(measured));
}

// While alive, prints every `every` how many of `total` calls `stats` has seen and the
// rate since the start: long phases (a national year) show they are moving.
class Progress {
 public:
  Progress(const char* what, Stats& stats, int64_t total, absl::Duration every = absl::Seconds(10))
      : thread_([this, what, &stats, total, every] {
          const absl::Time start = absl::Now();
          while (!done_.WaitForNotificationWithTimeout(every)) {
            const double n = static_cast<double>(stats.count());
            const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
            std::printf("  [%s] %.0f / %lld after %.0f s (%.0f/s)\n", what, n,
                        static_cast<long long>(total), elapsed, n / elapsed);
            std::fflush(stdout);
          }
        }) {}
  ~Progress() {
    done_.Notify();
    thread_.join();
  }

 private:
  absl::Notification done_;
  std::thread thread_;
};

// Keeps `concurrency` calls in flight: `issue(i, done)` starts call number i and must
// call done(status) once. Stops after `duration` or `total` calls, whichever is first.
inline void Drive(int concurrency, absl::Duration duration, int64_t total, Stats& stats,
                  const std::function<void(int64_t, std::function<void(grpc::Status)>)>& issue) {
  std::atomic<int64_t> next{0};
  std::atomic<int> in_flight{0};
  std::atomic<bool> stop{false};
  absl::Notification drained;
  std::function<void()> one = [&] {
    const int64_t i = next++;
    if (i >= total) {
      stop = true;
      return;
    }
    ++in_flight;
    const absl::Time t0 = absl::Now();
    issue(i, [&, t0](grpc::Status s) {
      stats.Add(absl::Now() - t0, s);
      if (!stop) one();
      if (--in_flight == 0 && stop) drained.Notify();
    });
  };
  for (int i = 0; i < concurrency; ++i) one();
  const absl::Time end = absl::Now() + duration;
  while (!stop && absl::Now() < end) absl::SleepFor(absl::Milliseconds(20));
  stop = true;
  if (in_flight > 0) drained.WaitForNotificationWithTimeout(absl::Seconds(60));
}

}  // namespace bdtx::bench

#endif  // BDTX_BENCH_BENCH_UTIL_H_
