// Starting the services a benchmark measures, from this build, in its own data
// directories (so a run never depends on, or disturbs, run-local's data).
#ifndef BDTX_BENCH_BENCH_SERVICES_H_
#define BDTX_BENCH_BENCH_SERVICES_H_

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/service_process.h"

namespace bdtx::bench {

struct Started {
  std::unique_ptr<testing::ServiceProcess> process;
  std::string address;  // "127.0.0.1:{port}"
};

// Starts `binary` on a kernel-chosen loopback port; exits with its output on failure.
inline Started StartOrExit(const std::string& binary, std::vector<std::string> args) {
  args.insert(args.begin(), "--listen=127.0.0.1:0");
  auto p = testing::ServiceProcess::Start(binary, args);
  if (!p.ok()) {
    std::fprintf(stderr, "%s: %s\n", binary.c_str(), p.status().ToString().c_str());
    std::exit(1);
  }
  auto port = (*p)->WaitListening(absl::Seconds(120));
  if (!port.ok()) {
    std::fprintf(stderr, "%s: %s\n%s\n", binary.c_str(), port.status().ToString().c_str(),
                 (*p)->Output().c_str());
    std::exit(1);
  }
  return {*std::move(p), absl::StrCat("127.0.0.1:", *port)};
}

// Resident memory of a process in KiB (-1 when unknown).
inline int64_t RssKb(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

}  // namespace bdtx::bench

#endif  // BDTX_BENCH_BENCH_SERVICES_H_
