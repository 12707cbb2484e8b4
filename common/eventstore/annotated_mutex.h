// A std::mutex that clang's -Wthread-safety understands (libstdc++'s is not annotated),
// for code that measured std::mutex + std::condition_variable cheaper than absl::Mutex
// conditions (the RocksDB committer, docs/perf-history.md). Same cost as the plain pair: the
// wrappers are inline and only add the annotations.
//
//   AnnotatedMutex mu_;
//   std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
//   { AnnotatedLock lock(mu_); queue_.push_back(...); }
//   { AnnotatedLock lock(mu_);
//     lock.Wait(ready_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty(); }); }
#ifndef BDTX_COMMON_EVENTSTORE_ANNOTATED_MUTEX_H_
#define BDTX_COMMON_EVENTSTORE_ANNOTATED_MUTEX_H_

#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace bdtx::eventstore {

class ABSL_LOCKABLE AnnotatedMutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  friend class AnnotatedLock;
  std::mutex mu_;
};

// Holds `mu` for its scope; Wait releases and retakes it like std::condition_variable.
class ABSL_SCOPED_LOCKABLE AnnotatedLock {
 public:
  explicit AnnotatedLock(AnnotatedMutex& mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : lock_(mu.mu_) {}
  ~AnnotatedLock() ABSL_UNLOCK_FUNCTION() = default;
  AnnotatedLock(const AnnotatedLock&) = delete;
  AnnotatedLock& operator=(const AnnotatedLock&) = delete;

  // Blocks until `ready()` (called with the mutex held) is true.
  template <typename Predicate>
  void Wait(std::condition_variable& cv, Predicate ready) {
    cv.wait(lock_, ready);
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace bdtx::eventstore

#endif  // BDTX_COMMON_EVENTSTORE_ANNOTATED_MUTEX_H_
