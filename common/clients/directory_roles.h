// Current roles of people for every service but the directory (ADR 012): a cache of
// the directory's answers (GetPerson) that a watch of the directory's change stream
// (WatchChanges) empties after every import, and that ages out within 2 s whenever
// that stream is silent. The ServiceRunner builds one for every service with a
// --directory flag and hands it to the process Authenticator.
#ifndef BDTX_COMMON_CLIENTS_DIRECTORY_ROLES_H_
#define BDTX_COMMON_CLIENTS_DIRECTORY_ROLES_H_

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "common/auth/current_roles.h"
#include "common/auth/service_token.h"
#include "common/clock/clock.h"

namespace bdtx::clients {

// Asks the directory for one person (GetPerson, 2 s deadline) with the service's token.
class DirectoryRolesSource : public auth::RolesSource {
 public:
  // Not owned; must outlive this object.
  DirectoryRolesSource(bdtx::v1::Directory::StubInterface* stub, auth::ServiceToken* token)
      : stub_(stub), token_(token) {}
  absl::StatusOr<auth::CurrentRoles> Fetch(const std::string& person) override;

 private:
  bdtx::v1::Directory::StubInterface* const stub_;
  auth::ServiceToken* const token_;
};

// Follows WatchChanges on a thread of its own and reports every message and every loss
// to a CurrentRolesCache; reconnects every 500 ms while the directory is away. Other
// caches of directory data (DirectoryClient) may listen for version changes.
// Thread-safe.
class DirectoryWatcher {
 public:
  // Not owned; must outlive this object. Starts watching at once.
  DirectoryWatcher(bdtx::v1::Directory::StubInterface* stub, auth::ServiceToken* token,
                   auth::CurrentRolesCache* cache);
  // Stops the thread (cancels the stream).
  ~DirectoryWatcher();

  // `listener` runs on the watcher's thread whenever the directory's version changes
  // (and after every reconnect). REQUIRES: cheap, non-blocking.
  void AddListener(std::function<void()> listener);

  // True while a stream is open (for tests and health logs).
  bool connected() const;

 private:
  void Run();

  bdtx::v1::Directory::StubInterface* const stub_;
  auth::ServiceToken* const token_;
  auth::CurrentRolesCache* const cache_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::vector<std::function<void()>> listeners_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace bdtx::clients

#endif  // BDTX_COMMON_CLIENTS_DIRECTORY_ROLES_H_
