// Shared helpers of the hand-run benchmarks: flags (the services' own Flags class, so
// `--name=value` and BDTX_* work the same way) and latency percentiles.
#ifndef BDTX_BENCH_BENCH_UTIL_H_
#define BDTX_BENCH_BENCH_UTIL_H_

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/server/flags.h"

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

}  // namespace bdtx::bench

#endif  // BDTX_BENCH_BENCH_UTIL_H_
