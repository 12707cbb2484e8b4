// The durable EventStore on an embedded RocksDB. Key layout: docs/storage.md.
// Commit design (one committer thread, group commit, synced WAL): docs/adr/001.
#ifndef BDTX_COMMON_EVENTSTORE_ROCKSDB_EVENT_STORE_H_
#define BDTX_COMMON_EVENTSTORE_ROCKSDB_EVENT_STORE_H_

#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/eventstore/event_store.h"
#include "common/eventstore/position_watch.h"

namespace rocksdb {
class DB;
}  // namespace rocksdb

namespace bdtx::eventstore {

// Thread-safe. Appends from any number of threads are queued to one committer thread,
// which decides them in arrival order and writes each group in one synced WriteBatch;
// so concurrent appenders share one WAL sync. Reads go straight to RocksDB.
class RocksDbEventStore : public EventStore {
 public:
  // On-disk format written by this binary. A store written by a newer format is
  // refused at Open.
  static constexpr int kFormatVersion = 1;

  // Opens (creating if needed) the store in directory `path`.
  // Errors: FAILED_PRECONDITION when another process holds the store's lock, the
  // directory holds something that is not a bdtx event store, or it was written by a
  // newer format; DATA_LOSS when RocksDB reports corruption; UNAVAILABLE for other
  // I/O failures. Never modifies a store it refuses.
  static absl::StatusOr<std::unique_ptr<RocksDbEventStore>> Open(const std::string& path,
                                                                 EventStoreOptions options = {});

  // Finishes queued appends, stops the committer and closes the database.
  ~RocksDbEventStore() override;

  absl::StatusOr<AppendResult> Append(AppendRequest request) override;
  absl::StatusOr<std::vector<EventEnvelope>> ReadStream(absl::string_view stream,
                                                        int64_t from_version, int limit) override;
  absl::StatusOr<std::vector<EventEnvelope>> ReadAll(int64_t from_position, int limit) override;
  absl::StatusOr<int64_t> StreamVersion(absl::string_view stream) override;
  int64_t LastPosition() const override { return watch_.Get(); }
  int64_t WaitForPosition(int64_t after, absl::Duration timeout) override {
    return watch_.Wait(after, timeout);
  }
  void WakeWaiters() override { watch_.WakeAll(); }
  absl::StatusOr<std::optional<std::string>> GetReadModel(absl::string_view key) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanReadModel(
      absl::string_view prefix, absl::string_view start_after, int limit) override;

  // Writes a consistent copy of the store into `dir` (must not exist), for backups.
  absl::Status Checkpoint(const std::string& dir);

 private:
  struct PendingAppend {
    AppendRequest request;  // events moved out into event_bytes
    std::vector<std::string> event_bytes;
    absl::StatusOr<AppendResult> result;
    absl::Notification done;
  };

  RocksDbEventStore(std::unique_ptr<rocksdb::DB> db, std::string path, EventStoreOptions options,
                    int64_t last_position);

  void CommitLoop();
  void CommitGroup(const std::vector<PendingAppend*>& group);
  absl::StatusOr<int64_t> LoadHead(absl::string_view stream);
  absl::StatusOr<std::optional<AppendResult>> LoadRequest(absl::string_view request_id);

  const std::unique_ptr<rocksdb::DB> db_;
  const std::string path_;
  const EventStoreOptions options_;

  absl::Mutex mu_;
  std::deque<PendingAppend*> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  int64_t next_position_;  // committer thread only
  PositionWatch watch_;
  std::thread committer_;
};

}  // namespace bdtx::eventstore

#endif  // BDTX_COMMON_EVENTSTORE_ROCKSDB_EVENT_STORE_H_
