#include "common/clients/directory_roles.h"

#include <chrono>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"
#include "grpcpp/client_context.h"

// A miss waits at most this long for the directory (ADR 012); it bounds how long a call
// may wait, not how stale roles may be. A hung (SIGSTOPped) directory held every
// person's call for 10 s before UNAVAILABLE when this was 10.
static constexpr int kFetchDeadlineSeconds = 2;

namespace bdtx::clients {

namespace v1 = ::bdtx::v1;

absl::StatusOr<auth::CurrentRoles> DirectoryRolesSource::Fetch(const std::string& person) {
  absl::StatusOr<std::string> token = token_->Get();
  if (!token.ok()) return token.status();
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + *token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(kFetchDeadlineSeconds));
  v1::GetPersonRequest req;
  req.set_name(person);
  v1::Person out;
  grpc::Status s = stub_->GetPerson(&ctx, req, &out);
  if (!s.ok()) {
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) return FromGrpcStatus(s);
    return absl::UnavailableError(
        absl::StrCat("the directory service is unreachable: ", s.error_message()));
  }
  auth::CurrentRoles roles;
  for (int role : out.roles()) roles.roles.push_back(v1::Role_Name(role));
  roles.unit = out.home_unit();
  roles.removed = out.removed();
  return roles;
}

DirectoryWatcher::DirectoryWatcher(v1::Directory::StubInterface* stub, auth::ServiceToken* token,
                                   auth::CurrentRolesCache* cache)
    : stub_(stub), token_(token), cache_(cache) {
  thread_ = std::thread([this] { Run(); });
}

DirectoryWatcher::~DirectoryWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  thread_.join();
}

void DirectoryWatcher::AddListener(std::function<void()> listener) {
  absl::MutexLock lock(&mu_);
  listeners_.push_back(std::move(listener));
}

bool DirectoryWatcher::connected() const {
  absl::MutexLock lock(&mu_);
  return connected_;
}

void DirectoryWatcher::Run() {
  // A flag and a value rather than std::optional<int64_t>: GCC 12 at -O3 reports the
  // optional as maybe-uninitialized (a false positive that fails Release under -Werror).
  bool have_last = false;
  int64_t last_version = 0;
  while (true) {
    absl::StatusOr<std::string> token = token_->Get();
    grpc::ClientContext ctx;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      context_ = &ctx;
    }
    if (token.ok()) {
      ctx.AddMetadata("authorization", "Bearer " + *token);
      auto reader = stub_->WatchChanges(&ctx, v1::WatchChangesRequest());
      v1::DirectoryChange change;
      while (reader->Read(&change)) {
        cache_->OnWatchMessage(change.version());
        std::vector<std::function<void()>> listeners;
        {
          absl::MutexLock lock(&mu_);
          connected_ = true;
          if (!have_last || last_version != change.version()) listeners = listeners_;
        }
        have_last = true;
        last_version = change.version();
        for (auto& listener : listeners) listener();
      }
      reader->Finish();  // why it ended matters not: reconnect either way
    }
    cache_->OnWatchLost();
    have_last = false;
    absl::MutexLock lock(&mu_);
    connected_ = false;
    context_ = nullptr;
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&stop), absl::Milliseconds(500))) return;
  }
}

}  // namespace bdtx::clients
