// A few worker threads for handler work that blocks (synchronous calls to other
// services), so gRPC's callback threads never wait on the network. The destructor
// finishes queued work and joins the threads.
#ifndef BDTX_COMMON_SERVER_WORK_QUEUE_H_
#define BDTX_COMMON_SERVER_WORK_QUEUE_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "common/server/trace.h"

namespace bdtx::server {

class WorkQueue {
 public:
  explicit WorkQueue(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~WorkQueue() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (auto& t : threads_) t.join();
  }
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // `work` runs under the trace span current now (common/server/trace.h).
  void Run(absl::AnyInvocable<void() &&> work) {
    absl::AnyInvocable<void()&&> traced = [trace = CurrentTraceHandle(),
                                           work = std::move(work)]() mutable {
      ScopedTrace scope(std::move(trace));
      std::move(work)();
    };
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(traced));
  }

 private:
  void Loop() {
    while (true) {
      absl::AnyInvocable<void() &&> work;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || !queue_.empty();
        };
        mu_.Await(absl::Condition(&ready));
        if (queue_.empty()) return;  // stopping and drained
        work = std::move(queue_.front());
        queue_.pop_front();
      }
      std::move(work)();
    }
  }

  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace bdtx::server

#endif  // BDTX_COMMON_SERVER_WORK_QUEUE_H_
