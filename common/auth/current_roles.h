// A person's current roles and home unit, from the directory rather than from the
// token (ADR 012): a token says who the caller is; what they may do is what the
// directory says now. Every service's Authenticator asks a RolesResolver for people
// ("people/{id}"); services ("services/{name}") and operators ("operators/{name}") keep
// the roles their token carries, since only holders of the signing key mint those.
#ifndef BDTX_COMMON_AUTH_CURRENT_ROLES_H_
#define BDTX_COMMON_AUTH_CURRENT_ROLES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"

namespace bdtx::auth {

struct CurrentRoles {
  std::vector<std::string> roles;  // bdtx.v1.Role names
  std::string unit;                // "units/{id}"
  bool removed = false;            // left the directory: refused everywhere
};

// Thread-safe implementations only.
class RolesResolver {
 public:
  virtual ~RolesResolver() = default;
  // The person's roles now. NOT_FOUND when the directory does not know them;
  // UNAVAILABLE when it cannot be asked. May block (a directory round trip).
  virtual absl::StatusOr<CurrentRoles> Resolve(const std::string& person) = 0;
  // False when Resolve never waits on the network (the directory's own store).
  virtual bool MayBlock() const { return true; }
};

// Where a cache fetches from on a miss (the directory over gRPC, in other services).
class RolesSource {
 public:
  virtual ~RolesSource() = default;
  virtual absl::StatusOr<CurrentRoles> Fetch(const std::string& person) = 0;
};

// A RolesResolver that caches answers of a RolesSource and trusts them only as long as
// a change stream vouches for them:
//  - while the watch is live (a message at most `watch_silence` ago), an entry stays
//    until the directory's version changes (every import drops every entry: imports are
//    rare, and a refill costs one round trip per active person);
//  - when the watch is silent or down, an entry is trusted for `ttl_without_watch` after
//    its fetch, so a lost stream never makes roles staler than
//    watch_silence + ttl_without_watch (1.5 s + 2 s by default, within ADR 012's 5 s).
// NOT_FOUND answers are not cached.
//
// When the directory is down (a fetch ends UNAVAILABLE or DEADLINE_EXCEEDED, e.g. a hung
// directory after the source's 2 s deadline), misses do not each wait for the deadline
// again: for `fail_fast_for` they are refused at once with UNAVAILABLE naming the
// directory; after that one miss at a time probes it (the bounded retry) while the
// others are still refused at once, until a probe gets an answer. Independently, at most
// `max_fetches_in_flight` fetches wait on the directory at any time; a miss beyond that
// is refused at once with UNAVAILABLE (nothing queues without bound behind a slow
// directory). Cached entries are served throughout. Thread-safe.
class CurrentRolesCache : public RolesResolver {
 public:
  struct Options {
    absl::Duration watch_silence = absl::Milliseconds(1500);
    absl::Duration ttl_without_watch = absl::Seconds(2);
    size_t capacity = 200'000;  // entries; the whole cache is dropped when full
    absl::Duration fail_fast_for = absl::Seconds(1);  // after a fetch found it down
    int max_fetches_in_flight = 64;                   // concurrent misses waiting on it
  };
  // Neither is owned; both must outlive the cache.
  CurrentRolesCache(RolesSource* source, const Clock* clock, Options options);
  CurrentRolesCache(RolesSource* source, const Clock* clock)
      : CurrentRolesCache(source, clock, Options()) {}

  absl::StatusOr<CurrentRoles> Resolve(const std::string& person) override;

  // From the watcher: a message of the change stream with the directory's version
  // (a heartbeat or a change). A version unlike the last one drops every entry. The
  // directory answers, so a fail-fast window (above) ends.
  void OnWatchMessage(int64_t version);
  // From the watcher: the stream broke. Entries fall back to `ttl_without_watch`.
  void OnWatchLost();

  size_t size() const;

 private:
  struct Entry {
    CurrentRoles roles;
    absl::Time fetched;
  };
  bool WatchLiveLocked(absl::Time now) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // OK when this miss may ask the directory (and then counts it in flight); otherwise
  // the UNAVAILABLE to answer at once.
  absl::Status AdmitFetchLocked(absl::Time now, bool& probe) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  RolesSource* const source_;
  const Clock* const clock_;
  const Options options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::optional<int64_t> version_ ABSL_GUARDED_BY(mu_);
  absl::Time last_message_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Bumped by every drop: a fetch that raced with a drop is answered but not cached.
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // Fail-fast state: when the last fetch found the directory down (InfinitePast: not
  // down), why, whether a probe is out, and how many fetches are waiting now.
  absl::Time down_since_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string down_reason_ ABSL_GUARDED_BY(mu_);
  bool probing_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace bdtx::auth

#endif  // BDTX_COMMON_AUTH_CURRENT_ROLES_H_
