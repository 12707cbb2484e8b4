// bdtx.v1.Admin, served by every service with an event store (ServiceRunner adds it):
// Backup streams a consistent RocksDB checkpoint of each store the service owns (the event
// store, then those added with ServiceRunner::AddBackupStore), taken when the call starts,
// to an operator (SYSTEM_ADMIN) — `bdtxctl admin backup` writes it to a directory and
// `bdtxctl admin restore` puts every store back. The checkpoints live in
// <data_dir>/backup-<n>/<store> (hard links on the same file system, so they are quick and
// small) only while the call runs.
#ifndef BDTX_COMMON_SERVER_ADMIN_SERVICE_H_
#define BDTX_COMMON_SERVER_ADMIN_SERVICE_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bdtx/v1/admin.grpc.pb.h"
#include "common/eventstore/rocksdb_event_store.h"

namespace bdtx::server {

// A store besides the event store: its directory's name under --data_dir (where restore
// puts it back) and how to write a consistent checkpoint of it into a new directory
// (thread-safe, called while the service runs).
struct BackupStore {
  std::string name;
  std::function<absl::Status(const std::string& dir)> checkpoint;
};

class AdminService final : public bdtx::v1::Admin::CallbackService {
 public:
  // `store` (in "events") is not owned and must outlive the service; checkpoints go under
  // `data_dir`.
  AdminService(std::string service_name, eventstore::RocksDbEventStore* store, std::string data_dir,
               std::vector<BackupStore> more = {})
      : service_name_(std::move(service_name)),
        store_(store),
        data_dir_(std::move(data_dir)),
        more_(std::move(more)) {
    RemoveStaleCheckpoints();
  }

  grpc::ServerWriteReactor<bdtx::v1::BackupChunk>* Backup(
      grpc::CallbackServerContext* context, const bdtx::v1::BackupRequest* request) override;

 private:
  // Checkpoints left by a process that died during a backup.
  void RemoveStaleCheckpoints();

  const std::string service_name_;
  eventstore::RocksDbEventStore* const store_;
  const std::string data_dir_;
  const std::vector<BackupStore> more_;
  std::atomic<int64_t> next_backup_{0};
};

}  // namespace bdtx::server

#endif  // BDTX_COMMON_SERVER_ADMIN_SERVICE_H_
