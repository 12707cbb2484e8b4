#include "common/auth/current_roles.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace bdtx::auth {

CurrentRolesCache::CurrentRolesCache(RolesSource* source, const Clock* clock, Options options)
    : source_(source), clock_(clock), options_(options) {}

bool CurrentRolesCache::WatchLiveLocked(absl::Time now) const {
  return now - last_message_ <= options_.watch_silence;
}

absl::Status CurrentRolesCache::AdmitFetchLocked(absl::Time now, bool& probe) {
  probe = false;
  if (down_since_ != absl::InfinitePast()) {
    const absl::Duration left = options_.fail_fast_for - (now - down_since_);
    if (left > absl::ZeroDuration() || probing_) {
      return absl::UnavailableError(
          absl::StrCat("dịch vụ directory đang không trả lời (", down_reason_, "); thử lại sau ",
                       absl::FormatDuration(std::max(left, absl::Milliseconds(100)))));
    }
    probe = true;  // the one miss that asks whether it is back
    probing_ = true;
  }
  if (in_flight_ >= options_.max_fetches_in_flight) {
    if (probe) probing_ = false;
    return absl::UnavailableError(absl::StrCat("đã có ", in_flight_,
                                               " lượt hỏi dịch vụ directory đang chờ trả lời "
                                               "(tối đa ",
                                               options_.max_fetches_in_flight, "); thử lại sau"));
  }
  ++in_flight_;
  return absl::OkStatus();
}

absl::StatusOr<CurrentRoles> CurrentRolesCache::Resolve(const std::string& person) {
  uint64_t epoch;
  bool probe = false;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    if (auto it = entries_.find(person); it != entries_.end()) {
      // An entry fetched while the watch was live stays valid while it is live: any
      // change since would have dropped it. Otherwise it ages out.
      if (WatchLiveLocked(now) || now - it->second.fetched <= options_.ttl_without_watch) {
        return it->second.roles;
      }
      entries_.erase(it);
    }
    if (absl::Status admitted = AdmitFetchLocked(now, probe); !admitted.ok()) return admitted;
    epoch = epoch_;
  }
  // The round trip runs without the lock; a drop meanwhile (epoch moved) means the
  // answer may predate the change, so it serves this call but is not kept.
  const absl::Time asked = clock_->Now();
  absl::StatusOr<CurrentRoles> fetched = source_->Fetch(person);
  absl::MutexLock lock(&mu_);
  --in_flight_;
  if (probe) probing_ = false;
  const absl::StatusCode code = fetched.status().code();
  if (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded) {
    down_since_ = clock_->Now();
    down_reason_ = std::string(fetched.status().message());
    return absl::UnavailableError(fetched.status().message());
  }
  down_since_ = absl::InfinitePast();  // it answered (NOT_FOUND included)
  if (!fetched.ok()) return fetched.status();
  if (epoch == epoch_) {
    if (entries_.size() >= options_.capacity) entries_.clear();
    entries_.insert_or_assign(person, Entry{*fetched, asked});
  }
  return fetched;
}

void CurrentRolesCache::OnWatchMessage(int64_t version) {
  absl::MutexLock lock(&mu_);
  last_message_ = clock_->Now();
  down_since_ = absl::InfinitePast();  // it answers: misses may ask it again at once
  if (!version_.has_value() || *version_ != version) {
    version_ = version;
    entries_.clear();
    ++epoch_;
  }
}

void CurrentRolesCache::OnWatchLost() {
  absl::MutexLock lock(&mu_);
  last_message_ = absl::InfinitePast();
  // The version is forgotten too: on reconnect the first message drops every entry, so
  // nothing fetched before a change we did not hear about survives it.
  version_.reset();
}

size_t CurrentRolesCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace bdtx::auth
