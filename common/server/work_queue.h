// A few worker threads for handler work that blocks (synchronous calls to other
// services), so gRPC's callback threads never wait on the network. The queue is bounded
// (`max_queued`): when a peer hangs and the workers are all waiting on it, new work is
// refused (TryRun false) instead of piling up without limit. The destructor finishes
// queued work and joins the threads.
#ifndef BDTX_COMMON_SERVER_WORK_QUEUE_H_
#define BDTX_COMMON_SERVER_WORK_QUEUE_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/server/trace.h"

namespace bdtx::server {

class WorkQueue {
 public:
  static constexpr size_t kDefaultMaxQueued = 1000;

  explicit WorkQueue(int threads, size_t max_queued = kDefaultMaxQueued) : max_queued_(max_queued) {
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

  // Queues `work` unbounded: for internal work whose producer is itself bounded. Like
  // TryRun, `work` runs under the trace span current now (common/server/trace.h).
  void Run(absl::AnyInvocable<void() &&> work) {
    absl::AnyInvocable<void()&&> traced = Traced(std::move(work));
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(traced));
  }

  // Queues `work` unless max_queued items are already waiting; false (and `work`
  // dropped unrun) when full. For work that requests bring in.
  [[nodiscard]] bool TryRun(absl::AnyInvocable<void() &&> work) {
    absl::AnyInvocable<void()&&> traced = Traced(std::move(work));
    absl::MutexLock lock(&mu_);
    if (queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(traced));
    return true;
  }

  size_t max_queued() const { return max_queued_; }

 private:
  // The caller's span goes with the work to the worker thread.
  static absl::AnyInvocable<void() &&> Traced(absl::AnyInvocable<void() &&> work) {
    return [trace = CurrentTraceHandle(), work = std::move(work)]() mutable {
      ScopedTrace scope(std::move(trace));
      std::move(work)();
    };
  }

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

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

// UNAVAILABLE for work refused by a full queue: retryable, and says why.
inline absl::Status BusyError(absl::string_view service, size_t max_queued) {
  return absl::UnavailableError(absl::StrCat(
      "dịch vụ ", service, " đang bận: đã có ", max_queued,
      " yêu cầu đang chờ (một dịch vụ liên quan có thể chậm hoặc không trả lời); hãy thử lại "
      "sau vài giây"));
}

}  // namespace bdtx::server

#endif  // BDTX_COMMON_SERVER_WORK_QUEUE_H_
