// Synchronous calls to the directory with this service's own token, for services that
// need directory facts (grading, plans). Call from worker threads, never from gRPC's
// callback threads: every method blocks on the network. Thread-safe. Unit parents are
// cached for the life of the client (the org tree changes by imports, rarely); people for
// `cache_ttl` (zero: every call asks the directory).
#ifndef BDTX_COMMON_CLIENTS_DIRECTORY_CLIENT_H_
#define BDTX_COMMON_CLIENTS_DIRECTORY_CLIENT_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "common/auth/service_token.h"
#include "common/status/grpc_status.h"
#include "grpcpp/client_context.h"

namespace bdtx::clients {

// The longest a call to a peer service may take.
inline constexpr absl::Duration kPeerCallTimeout = absl::Seconds(10);
// Kept free before the caller's own deadline, so that our answer (UNAVAILABLE naming the
// peer) reaches the caller before it gives up.
inline constexpr absl::Duration kPeerDeadlineMargin = absl::Milliseconds(300);

// While alive, peer calls made on this thread end before `caller_deadline` (less the
// margin): a worker serving a request sets it to that request's deadline, so a slow or
// hung peer costs the caller at most its own deadline and the worker no longer than the
// caller waits. Scopes nest; not shared across threads.
class PeerDeadlineScope {
 public:
  explicit PeerDeadlineScope(absl::Time caller_deadline) : previous_(current_) {
    current_ = std::min(current_, caller_deadline);
  }
  ~PeerDeadlineScope() { current_ = previous_; }
  PeerDeadlineScope(const PeerDeadlineScope&) = delete;
  PeerDeadlineScope& operator=(const PeerDeadlineScope&) = delete;

  // The deadline of a peer call started now on this thread.
  static absl::Time PeerDeadline(absl::Time now) {
    return std::min(now + kPeerCallTimeout, current_ - kPeerDeadlineMargin);
  }

 private:
  static inline thread_local absl::Time current_ = absl::InfiniteFuture();
  const absl::Time previous_;
};

// Runs `call` on `stub` with a bearer token and a deadline (kPeerCallTimeout, or earlier
// inside a PeerDeadlineScope); UNAVAILABLE names `service` when it cannot be reached or
// does not answer in time, any other error keeps its code and message.
template <typename Stub, typename Req, typename Resp, typename Call>
absl::Status InvokeWithToken(Stub* stub, Call call, const std::string& token,
                             absl::string_view service, const Req& req, Resp* resp);

class DirectoryClient {
 public:
  DirectoryClient(bdtx::v1::Directory::StubInterface* stub, auth::ServiceToken* token,
                  absl::Duration cache_ttl = absl::ZeroDuration())
      : stub_(stub), token_(token), cache_ttl_(cache_ttl) {}

  absl::StatusOr<bdtx::v1::Class> GetClass(const std::string& name);
  // These four are cached for `cache_ttl`.
  absl::StatusOr<bdtx::v1::Unit> GetUnit(const std::string& name);
  absl::StatusOr<bdtx::v1::Person> GetPerson(const std::string& name);
  // Many people in the order asked, from the cache where fresh, the rest in batches of
  // up to 1000 per call (one call per class instead of one per learner). NOT_FOUND names
  // the first unknown person.
  absl::StatusOr<std::vector<bdtx::v1::Person>> GetPeople(const std::vector<std::string>& names);
  absl::StatusOr<bdtx::v1::SupportGroup> GetSupportGroup(const std::string& core_member, int year,
                                                         int module);
  // The support group `colleague` belongs to (who supports them).
  absl::StatusOr<bdtx::v1::SupportGroup> SupporterOf(const std::string& colleague, int year,
                                                     int module);
  // People whose home unit is `unit` with `role` (first page of up to 100).
  absl::StatusOr<std::vector<bdtx::v1::Person>> PeopleWithRole(const std::string& unit,
                                                               bdtx::v1::Role role);
  // `unit` first, then its parents up to the ministry. Cached.
  absl::StatusOr<std::vector<std::string>> Ancestry(const std::string& unit);

  // Forgets every cached answer (the directory changed: ServiceRunner::OnDirectoryChange).
  void DropCaches() {
    absl::MutexLock lock(&mu_);
    parent_.clear();
    cache_.clear();
  }

 private:
  template <typename Req, typename Resp, typename Call>
  absl::Status Invoke(Call call, const Req& req, Resp* resp);

  bdtx::v1::Directory::StubInterface* const stub_;
  auth::ServiceToken* const token_;
  const absl::Duration cache_ttl_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> parent_ ABSL_GUARDED_BY(mu_);
  // Answers by request key ("person:people/1", "unit:units/2", ...), serialized.
  struct Cached {
    std::string bytes;
    absl::Time fetched;
  };
  template <typename Resp, typename Fetch>
  absl::StatusOr<Resp> CachedCall(const std::string& key, Fetch fetch);
  // The fresh cached answer for `key` into `out`; false when there is none. REQUIRES: a
  // cache (cache_ttl_ > 0).
  bool FromCacheLocked(const std::string& key, absl::Time now, google::protobuf::Message* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ToCacheLocked(const std::string& key, const google::protobuf::Message& answer,
                     absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::flat_hash_map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);
};

// ------------------------------------------------------------ implementation

template <typename Stub, typename Req, typename Resp, typename Call>
absl::Status InvokeWithToken(Stub* stub, Call call, const std::string& token,
                             absl::string_view service, const Req& req, Resp* resp) {
  const absl::Time now = absl::Now();
  const absl::Time deadline = PeerDeadlineScope::PeerDeadline(now);
  if (deadline <= now) {
    return absl::UnavailableError(
        absl::StrCat("không còn thời gian trước hạn chót của lượt gọi để hỏi dịch vụ ", service));
  }
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(absl::ToChronoTime(deadline));
  grpc::Status s = (stub->*call)(&ctx, req, resp);
  if (s.ok()) return absl::OkStatus();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
      s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError(
        absl::StrCat("không liên lạc được dịch vụ ", service, ": ", s.error_message()));
  }
  return FromGrpcStatus(s);
}

}  // namespace bdtx::clients

#endif  // BDTX_COMMON_CLIENTS_DIRECTORY_CLIENT_H_
