#include "common/testing/service_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace bdtx::testing {

absl::StatusOr<std::unique_ptr<ServiceProcess>> ServiceProcess::Start(
    const std::string& binary, const std::vector<std::string>& args,
    const std::vector<std::string>& env) {
  int fds[2];
  if (pipe(fds) != 0) return absl::InternalError("pipe failed");
  std::vector<std::string> argv_store = {binary};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) env_store.emplace_back(*e);
  env_store.insert(env_store.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (std::string& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    // A crashed test or benchmark must not leave services running (and holding its
    // output pipe open): the child dies with the thread that started it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execve(binary.c_str(), argv.data(), envp.data());
    std::_Exit(127);
  }
  close(fds[1]);
  return std::unique_ptr<ServiceProcess>(new ServiceProcess(pid, fds[0]));
}

ServiceProcess::ServiceProcess(pid_t pid, int fd) : pid_(pid), fd_(fd) {
  reader_ = std::thread([this] { ReadLoop(); });
}

ServiceProcess::~ServiceProcess() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  reader_.join();
  close(fd_);
}

void ServiceProcess::ReadLoop() {
  char buf[4096];
  while (true) {
    const ssize_t n = read(fd_, buf, sizeof(buf));
    absl::MutexLock lock(&mu_);
    if (n <= 0) {
      eof_ = true;
      return;
    }
    output_.append(buf, static_cast<size_t>(n));
  }
}

bool ServiceProcess::WaitForOutput(const std::string& needle, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto found = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return output_.find(needle) != std::string::npos || eof_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&found), timeout);
  return output_.find(needle) != std::string::npos;
}

absl::StatusOr<int> ServiceProcess::WaitListening(absl::Duration timeout) {
  if (!WaitForOutput("\"msg\":\"listening\"", timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("service did not report listening; output so far:\n", Output()));
  }
  const std::string out = Output();
  const size_t line = out.find("\"msg\":\"listening\"");
  const std::string key = "\"port\":\"";
  const size_t at = out.find(key, line);
  int port = 0;
  if (at == std::string::npos ||
      !absl::SimpleAtoi(
          out.substr(at + key.size(), out.find('"', at + key.size()) - at - key.size()), &port)) {
    return absl::InternalError(absl::StrCat("no port in listening line: ", out));
  }
  return port;
}

void ServiceProcess::Signal(int signal) { kill(pid_, signal); }

absl::StatusOr<int> ServiceProcess::WaitExit(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status;
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat("process ", pid_, " still running"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::string ServiceProcess::Output() const {
  absl::MutexLock lock(&mu_);
  return output_;
}

}  // namespace bdtx::testing
