#include "common/auth/current_roles.h"

namespace bdtx::auth {

CurrentRolesCache::CurrentRolesCache(RolesSource* source, const Clock* clock, Options options)
    : source_(source), clock_(clock), options_(options) {}

bool CurrentRolesCache::WatchLiveLocked(absl::Time now) const {
  return now - last_message_ <= options_.watch_silence;
}

absl::StatusOr<CurrentRoles> CurrentRolesCache::Resolve(const std::string& person) {
  uint64_t epoch;
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
    epoch = epoch_;
  }
  // The round trip runs without the lock; a drop meanwhile (epoch moved) means the
  // answer may predate the change, so it serves this call but is not kept.
  const absl::Time asked = clock_->Now();
  absl::StatusOr<CurrentRoles> fetched = source_->Fetch(person);
  if (!fetched.ok()) return fetched.status();
  absl::MutexLock lock(&mu_);
  if (epoch == epoch_) {
    if (entries_.size() >= options_.capacity) entries_.clear();
    entries_.insert_or_assign(person, Entry{*fetched, asked});
  }
  return fetched;
}

void CurrentRolesCache::OnWatchMessage(int64_t version) {
  absl::MutexLock lock(&mu_);
  last_message_ = clock_->Now();
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
