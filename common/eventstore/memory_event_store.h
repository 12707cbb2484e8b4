// In-memory EventStore for unit tests and domain tests. Same semantics as the RocksDB
// store (it passes the same conformance suite) but nothing survives the process.
#ifndef BDTX_COMMON_EVENTSTORE_MEMORY_EVENT_STORE_H_
#define BDTX_COMMON_EVENTSTORE_MEMORY_EVENT_STORE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/eventstore/event_store.h"
#include "common/eventstore/position_watch.h"

namespace bdtx::eventstore {

// Thread-safe; one mutex serializes appends.
class MemoryEventStore : public EventStore {
 public:
  explicit MemoryEventStore(EventStoreOptions options = {}) : options_(options) {}

  void AppendAsync(AppendRequest request, AppendCallback done) override {
    std::move(done)(AppendNow(std::move(request)));
  }
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

 private:
  absl::StatusOr<AppendResult> AppendNow(AppendRequest request);

  const EventStoreOptions options_;
  mutable absl::Mutex mu_;
  std::vector<EventEnvelope> all_ ABSL_GUARDED_BY(mu_);  // index = position - 1
  // stream -> positions of its events, index = version - 1
  absl::flat_hash_map<std::string, std::vector<int64_t>> streams_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, AppendResult> requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string, std::less<>> read_model_ ABSL_GUARDED_BY(mu_);
  PositionWatch watch_;
};

}  // namespace bdtx::eventstore

#endif  // BDTX_COMMON_EVENTSTORE_MEMORY_EVENT_STORE_H_
