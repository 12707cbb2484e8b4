// Runs a service binary as a child process for integration tests: captures its JSON log
// lines, waits for "listening", sends signals, waits for exit. Kills it (SIGKILL) on
// destruction if it is still running.
#ifndef BDTX_COMMON_TESTING_SERVICE_PROCESS_H_
#define BDTX_COMMON_TESTING_SERVICE_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace bdtx::testing {

// Thread-safe.
class ServiceProcess {
 public:
  // Starts `binary args...` with the current environment plus `env` ("NAME=value").
  static absl::StatusOr<std::unique_ptr<ServiceProcess>> Start(
      const std::string& binary, const std::vector<std::string>& args,
      const std::vector<std::string>& env = {});
  ~ServiceProcess();

  // Waits for the "listening" log line and returns the port it names.
  absl::StatusOr<int> WaitListening(absl::Duration timeout);

  // True once a line containing `needle` was printed (waits up to `timeout`).
  bool WaitForOutput(const std::string& needle, absl::Duration timeout);

  void Signal(int signal);

  // Waits for the process to end; returns its wait status (see WIFEXITED).
  absl::StatusOr<int> WaitExit(absl::Duration timeout);

  std::string Output() const;
  pid_t pid() const { return pid_; }

 private:
  ServiceProcess(pid_t pid, int fd);
  void ReadLoop();

  const pid_t pid_;
  const int fd_;
  mutable absl::Mutex mu_;
  std::string output_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  bool reaped_ = false;
  std::thread reader_;
};

}  // namespace bdtx::testing

#endif  // BDTX_COMMON_TESTING_SERVICE_PROCESS_H_
