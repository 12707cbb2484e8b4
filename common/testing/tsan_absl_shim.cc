// ThreadSanitizer support for a system Abseil that was not built with TSan (Debian 12's):
// linked into every binary of a BDTX_TSAN build, it wraps absl::Mutex, absl::CondVar and
// absl::Notification with TSan's mutex annotations (the ones Abseil itself emits when it
// is compiled with -fsanitize=thread), so TSan sees the happens-before that these locks
// give. Without it every field guarded by an absl::Mutex is reported as a data race.
//
// How: the executable defines the same symbols as libabsl_synchronization.so, so the
// dynamic linker binds every call (ours and the library's own) here; each wrapper
// annotates and calls the library's definition found with dlsym(RTLD_NEXT, ...).
// Between pre- and post- annotations TSan ignores memory accesses, as it does inside an
// instrumented Abseil (conditions are evaluated there).
#if !defined(__SANITIZE_THREAD__) && defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define __SANITIZE_THREAD__ 1
#endif
#endif

#ifdef __SANITIZE_THREAD__

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "sanitizer/tsan_interface.h"

namespace {

#define BDTX_STR2(x) #x
#define BDTX_STR(x) BDTX_STR2(x)

// "_ZN4absl7debian35Mutex4LockEv" from "5Mutex4LockEv": the Itanium mangling of
// absl::<inline namespace>::<rest>.
void* Real(const char* nested, const char* rest) {
  const std::string ns = BDTX_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name =
      std::string(nested) + "4absl" + std::to_string(ns.size()) + ns + std::string(rest);
  void* fn = dlsym(RTLD_NEXT, name.c_str());
  if (fn == nullptr) {
    std::fprintf(stderr, "tsan_absl_shim: %s not found in Abseil\n", name.c_str());
    std::abort();
  }
  return fn;
}

template <typename Fn>
Fn RealFn(const char* nested, const char* rest) {
  return reinterpret_cast<Fn>(Real(nested, rest));
}

constexpr unsigned kRead = __tsan_mutex_read_lock;
constexpr unsigned kTry = __tsan_mutex_try_lock;
constexpr unsigned kTryFailed = __tsan_mutex_try_lock_failed;

// Abseil's own entry points call each other (AwaitWithTimeout calls AwaitWithDeadline,
// through the same interposed symbol): only the outermost call is annotated.
thread_local int depth = 0;
struct Outermost {
  Outermost() { ++depth; }
  ~Outermost() { --depth; }
  bool value() const { return depth == 1; }
};

// Calls `real(args...)`, which takes `mu`, annotated as a lock of `mu`.
template <typename Fn, typename... Args>
auto AsLock(const void* mu, unsigned flags, Fn real, Args&&... args) {
  Outermost outer;
  if (!outer.value()) return real(std::forward<Args>(args)...);
  void* m = const_cast<void*>(mu);
  __tsan_mutex_pre_lock(m, flags);
  if constexpr (std::is_void_v<decltype(real(std::forward<Args>(args)...))>) {
    real(std::forward<Args>(args)...);
    __tsan_mutex_post_lock(m, flags, 0);
  } else {
    auto result = real(std::forward<Args>(args)...);
    __tsan_mutex_post_lock(m, flags, 0);
    return result;
  }
}

// Calls `real(args...)`, which releases the held `mu` while it waits and holds it again
// on return (Await, CondVar::Wait). A reader awaiting is annotated as a writer: TSan
// needs only the release and acquire edges.
template <typename Fn, typename... Args>
auto AsRelock(void* mu, Fn real, Args&&... args) {
  if (depth == 0) {
    __tsan_mutex_pre_unlock(mu, 0);
    __tsan_mutex_post_unlock(mu, 0);
  }
  return AsLock(mu, 0, real, std::forward<Args>(args)...);
}

// Calls `real(mu)`, which may take `mu`, annotated as a try-lock of `mu`.
template <typename M>
bool AsTryLock(M* mu, unsigned flags, bool (*real)(M*)) {
  __tsan_mutex_pre_lock(mu, flags | kTry);
  const bool ok = real(mu);
  __tsan_mutex_post_lock(mu, flags | kTry | (ok ? 0 : kTryFailed), 0);
  return ok;
}

// Calls `real(args...)`, which releases `mu`, annotated as an unlock of `mu`.
template <typename Fn, typename... Args>
void AsUnlock(void* mu, unsigned flags, Fn real, Args&&... args) {
  Outermost outer;
  if (!outer.value()) return real(std::forward<Args>(args)...);
  __tsan_mutex_pre_unlock(mu, flags);
  real(std::forward<Args>(args)...);
  __tsan_mutex_post_unlock(mu, flags);
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

using Cond = const Condition&;

void Mutex::Lock() {
  static auto real = RealFn<void (*)(Mutex*)>("_ZN", "5Mutex4LockEv");
  AsLock(this, 0, real, this);
}

void Mutex::ReaderLock() {
  static auto real = RealFn<void (*)(Mutex*)>("_ZN", "5Mutex10ReaderLockEv");
  AsLock(this, kRead, real, this);
}

bool Mutex::TryLock() {
  static auto real = RealFn<bool (*)(Mutex*)>("_ZN", "5Mutex7TryLockEv");
  return AsTryLock(this, 0, real);
}

bool Mutex::ReaderTryLock() {
  static auto real = RealFn<bool (*)(Mutex*)>("_ZN", "5Mutex13ReaderTryLockEv");
  return AsTryLock(this, kRead, real);
}

void Mutex::Unlock() {
  static auto real = RealFn<void (*)(Mutex*)>("_ZN", "5Mutex6UnlockEv");
  AsUnlock(this, 0, real, this);
}

void Mutex::ReaderUnlock() {
  static auto real = RealFn<void (*)(Mutex*)>("_ZN", "5Mutex12ReaderUnlockEv");
  AsUnlock(this, kRead, real, this);
}

void Mutex::LockWhen(Cond cond) {
  static auto real = RealFn<void (*)(Mutex*, Cond)>("_ZN", "5Mutex8LockWhenERKNS0_9ConditionE");
  AsLock(this, 0, real, this, cond);
}

void Mutex::ReaderLockWhen(Cond cond) {
  static auto real =
      RealFn<void (*)(Mutex*, Cond)>("_ZN", "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  AsLock(this, kRead, real, this, cond);
}

bool Mutex::LockWhenWithTimeout(Cond cond, Duration timeout) {
  static auto real = RealFn<bool (*)(Mutex*, Cond, Duration)>(
      "_ZN", "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return AsLock(this, 0, real, this, cond, timeout);
}

bool Mutex::LockWhenWithDeadline(Cond cond, Time deadline) {
  static auto real = RealFn<bool (*)(Mutex*, Cond, Time)>(
      "_ZN", "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return AsLock(this, 0, real, this, cond, deadline);
}

bool Mutex::ReaderLockWhenWithTimeout(Cond cond, Duration timeout) {
  static auto real = RealFn<bool (*)(Mutex*, Cond, Duration)>(
      "_ZN", "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return AsLock(this, kRead, real, this, cond, timeout);
}

bool Mutex::ReaderLockWhenWithDeadline(Cond cond, Time deadline) {
  static auto real = RealFn<bool (*)(Mutex*, Cond, Time)>(
      "_ZN", "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return AsLock(this, kRead, real, this, cond, deadline);
}

void Mutex::Await(Cond cond) {
  static auto real = RealFn<void (*)(Mutex*, Cond)>("_ZN", "5Mutex5AwaitERKNS0_9ConditionE");
  AsRelock(this, real, this, cond);
}

bool Mutex::AwaitWithTimeout(Cond cond, Duration timeout) {
  static auto real = RealFn<bool (*)(Mutex*, Cond, Duration)>(
      "_ZN", "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return AsRelock(this, real, this, cond, timeout);
}

bool Mutex::AwaitWithDeadline(Cond cond, Time deadline) {
  static auto real = RealFn<bool (*)(Mutex*, Cond, Time)>(
      "_ZN", "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return AsRelock(this, real, this, cond, deadline);
}

void CondVar::Wait(Mutex* mu) {
  static auto real = RealFn<void (*)(CondVar*, Mutex*)>("_ZN", "7CondVar4WaitEPNS0_5MutexE");
  AsRelock(mu, real, this, mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  static auto real = RealFn<bool (*)(CondVar*, Mutex*, Duration)>(
      "_ZN", "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  return AsRelock(mu, real, this, mu, timeout);
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static auto real = RealFn<bool (*)(CondVar*, Mutex*, Time)>(
      "_ZN", "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  return AsRelock(mu, real, this, mu, deadline);
}

// Notification's fast path reads an atomic inside the library, unseen by TSan: Notify
// releases and a wait that returns acquires, on the Notification itself.
void Notification::Notify() {
  static auto real = RealFn<void (*)(Notification*)>("_ZN", "12Notification6NotifyEv");
  __tsan_release(this);
  real(this);
}

void Notification::WaitForNotification() const {
  static auto real =
      RealFn<void (*)(const Notification*)>("_ZNK", "12Notification19WaitForNotificationEv");
  real(this);
  __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  static auto real = RealFn<bool (*)(const Notification*, Duration)>(
      "_ZNK", "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  const bool notified = real(this, timeout);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  static auto real = RealFn<bool (*)(const Notification*, Time)>(
      "_ZNK", "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  const bool notified = real(this, deadline);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl

#endif  // __SANITIZE_THREAD__
