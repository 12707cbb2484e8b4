// The durable EventStore on an embedded RocksDB. Key layout: docs/storage.md.
// Commit design (one committer thread, group commit, synced WAL): docs/adr/001.
#ifndef BDTX_COMMON_EVENTSTORE_ROCKSDB_EVENT_STORE_H_
#define BDTX_COMMON_EVENTSTORE_ROCKSDB_EVENT_STORE_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/eventstore/annotated_mutex.h"
#include "common/eventstore/event_store.h"
#include "common/eventstore/position_watch.h"
#include "rocksdb/write_batch.h"

namespace rocksdb {
class DB;
}  // namespace rocksdb

namespace bdtx::eventstore {

// Thread-safe. Appends from any number of threads are queued to one decider thread,
// which decides them in arrival order (versions, positions, idempotency) and packs
// each group into one WriteBatch; a writer thread writes each batch with a synced WAL
// while the next group is being decided. Concurrent appenders share one sync; a group
// is acknowledged only after its batch is durable. Reads go straight to RocksDB and
// never see an undecided or half-written group. See docs/adr/001.
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

  void AppendAsync(AppendRequest request, AppendCallback done) override;
  absl::StatusOr<std::vector<EventEnvelope>> ReadStream(absl::string_view stream,
                                                        int64_t from_version, int limit) override;
  absl::StatusOr<int64_t> ScanAll(int64_t from_position, int limit,
                                  absl::FunctionRef<bool(const EventEnvelope&)> visit) override;
  absl::StatusOr<int64_t> StreamVersion(absl::string_view stream) override;
  int64_t LastPosition() const override { return watch_.Get(); }
  int64_t WaitForPosition(int64_t after, absl::Duration timeout) override {
    return watch_.Wait(after, timeout);
  }
  void WakeWaiters() override { watch_.WakeAll(); }
  absl::StatusOr<std::optional<std::string>> GetReadModel(absl::string_view key) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanReadModel(
      absl::string_view prefix, absl::string_view start_after, int limit) override;

  // RocksDB's own figures, for metrics: an integer property of the database
  // (rocksdb::DB::Properties, e.g. "rocksdb.live-sst-files-size"), or a ticker of its
  // statistics (rocksdb::Tickers name, e.g. "rocksdb.stall.micros"); nullopt if unknown.
  // Thread-safe.
  std::optional<uint64_t> IntProperty(const std::string& name) const;
  std::optional<uint64_t> Ticker(const std::string& name) const;
  // OK while appends are accepted; RESOURCE_EXHAUSTED while the disk is below its reserve
  // (EventStoreOptions::min_free_disk_bytes; OK again once there is room); after a failed
  // write, the error that stopped appends until a restart. Reads keep working. Thread-safe.
  absl::Status Health() const;

  // Writes a consistent copy of the store into `dir` (must not exist), for backups.
  absl::Status Checkpoint(const std::string& dir);

 private:
  struct PendingAppend {
    AppendRequest request;  // events moved out into event_bytes
    std::vector<std::string> event_bytes;
    absl::StatusOr<AppendResult> result;
    AppendCallback done;
    absl::Time taken;  // when AppendAsync took it; only with an observer
  };

  // Appends decided together and written in one synced WriteBatch.
  struct Group {
    uint64_t id = 0;
    std::vector<std::unique_ptr<PendingAppend>> appends;
    std::vector<PendingAppend*> written;  // answered only once `batch` is durable
    rocksdb::WriteBatch batch;
    int64_t last_position = 0;
  };
  struct PendingHead {
    int64_t head;
    uint64_t group;
  };
  struct PendingRequest {
    AppendResult result;
    uint64_t group;
  };
  // Groups waiting for the writer. With 1, one group is decided while the previous one
  // is being written and synced; more only made groups smaller (docs/perf-history.md).
  static constexpr size_t kMaxGroupsInFlight = 1;

  RocksDbEventStore(std::unique_ptr<rocksdb::DB> db, std::string path, EventStoreOptions options,
                    int64_t last_position);

  void DecideLoop();
  // RESOURCE_EXHAUSTED while the disk is below its reserve. Thread-safe.
  absl::Status CheckFreeSpace() const;
  void WriteLoop();
  void Decide(Group& group);  // decider thread
  void Write(Group& group);   // writer thread
  absl::StatusOr<int64_t> LoadHead(absl::string_view stream);
  absl::StatusOr<std::optional<AppendResult>> LoadRequest(absl::string_view request_id);

  const std::unique_ptr<rocksdb::DB> db_;
  const std::string path_;
  const EventStoreOptions options_;

  // A std::mutex (annotated for -Wthread-safety): appenders only push and notify when
  // the queue was empty, which measured cheaper than absl::Mutex conditions with many
  // appenders.
  AnnotatedMutex mu_;
  std::condition_variable queue_ready_;    // decider waits: appends queued, or room
  std::condition_variable decided_ready_;  // writer waits: a group is decided
  std::deque<std::unique_ptr<PendingAppend>> queue_ ABSL_GUARDED_BY(mu_);
  std::deque<std::unique_ptr<Group>> decided_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool decider_done_ ABSL_GUARDED_BY(mu_) = false;

  // Decider thread only. Heads and request records of groups that are decided but
  // not yet durable, tagged with their group id.
  int64_t next_position_;
  uint64_t last_group_id_ = 0;
  absl::flat_hash_map<std::string, PendingHead> pending_heads_;
  absl::flat_hash_map<std::string, PendingRequest> pending_requests_;

  // Writer thread only.
  absl::Status failed_;
  mutable absl::Mutex health_mu_;
  absl::Status failed_health_ ABSL_GUARDED_BY(health_mu_);  // failed_, for Health()

  std::atomic<uint64_t> durable_group_{0};  // highest group id written (or failed)
  PositionWatch watch_;
  std::thread decider_;
  std::thread writer_;
};

}  // namespace bdtx::eventstore

#endif  // BDTX_COMMON_EVENTSTORE_ROCKSDB_EVENT_STORE_H_
