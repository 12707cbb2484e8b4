// The event store: append-only event streams per aggregate, one global gap-free order,
// idempotent appends and read-model writes in the same atomic commit.
//
// Two implementations pass one conformance suite (event_store_conformance_test.cc):
//   MemoryEventStore  - for domain and unit tests;
//   RocksDbEventStore - the real one; durable, group-committed.
//
// Example:
//   AppendRequest req;
//   req.stream = "documents/42";
//   req.expected_version = 3;           // or kNoStream / kAnyVersion
//   req.request_id = "c1f0...";          // retries with the same id replay the result
//   req.events.push_back(MakeEvent(submitted, "people/7", now));
//   req.read_model_writes.push_back({"inbox/people/9/documents/42", "..."});
//   ASSIGN_OR_RETURN(AppendResult r, store.Append(std::move(req)));
#ifndef BDTX_COMMON_EVENTSTORE_EVENT_STORE_H_
#define BDTX_COMMON_EVENTSTORE_EVENT_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bdtx/v1/events.pb.h"

namespace bdtx::eventstore {

using ::bdtx::v1::EventEnvelope;

// expected_version sentinels. Any other negative value is INVALID_ARGUMENT.
inline constexpr int64_t kAnyVersion = -1;  // no concurrency check
inline constexpr int64_t kNoStream = 0;     // the stream must not exist yet

// Told about the group commit as it happens, for metrics. Called on the store's writer
// thread: implementations must be quick and thread-safe, and must not call the store.
class EventStoreObserver {
 public:
  virtual ~EventStoreObserver() = default;
  // One group written: how many appends it held and how long RocksDB's write with the
  // synced WAL took.
  virtual void OnGroupWritten(size_t appends, absl::Duration write_and_sync) = 0;
  // One append answered, `latency` after AppendAsync took it (queueing, deciding,
  // waiting for the group before it, writing and syncing).
  virtual void OnAppendAnswered(absl::Duration latency, bool ok) = 0;
};

struct EventStoreOptions {
  // Largest serialized event accepted by Append (INVALID_ARGUMENT above it).
  size_t max_event_bytes = 1 << 20;
  size_t max_events_per_append = 10'000;
  size_t max_stream_name_bytes = 256;
  size_t max_request_id_bytes = 128;
  size_t max_read_model_key_bytes = 1024;
  // RocksDB only: most appends packed into one synced WriteBatch.
  size_t max_group_commit = 1024;
  // RocksDB only: told about each group commit (metrics); nullptr: nobody.
  std::shared_ptr<EventStoreObserver> observer;
  // RocksDB only: appends are refused (RESOURCE_EXHAUSTED naming the disk) while the
  // disk holding the store has less free space than this, and accepted again as soon as
  // it has more. The reserve lets RocksDB flush and compact, and keeps its own writes
  // from ever meeting a full disk (which RocksDB 7.8 does not survive: an assertion
  // aborts the process, found by tests/disk_full_test.cc).
  uint64_t min_free_disk_bytes = 64ull << 20;
};

// A key/value written to the service's read model in the same atomic commit as the
// events. `value == std::nullopt` deletes the key.
struct ReadModelWrite {
  std::string key;
  std::optional<std::string> value;
};

struct AppendRequest {
  std::string stream;
  int64_t expected_version = kAnyVersion;
  // At least one. The caller sets payload, schema_version, time and actor; the store
  // sets stream, version, position and request_id.
  std::vector<EventEnvelope> events;
  // Optional idempotency key: a second Append with the same id returns the first
  // result (with `replayed` set) and writes nothing.
  std::string request_id;
  std::vector<ReadModelWrite> read_model_writes;
};

struct AppendResult {
  std::string stream;
  int64_t first_version = 0;
  int64_t last_version = 0;
  int64_t first_position = 0;
  int64_t last_position = 0;
  bool replayed = false;  // true when answered from the request_id record

  friend bool operator==(const AppendResult&, const AppendResult&) = default;
};

// Thread-safe: every method may be called from any thread concurrently.
//
// Errors:
//   INVALID_ARGUMENT    bad stream name, version, limit, oversized event, ...;
//   ABORTED             expected_version does not match (the message names both);
//   UNAVAILABLE         the store is closed or its disk failed;
//   DATA_LOSS           stored bytes cannot be decoded.
class EventStore {
 public:
  virtual ~EventStore() = default;

  using AppendCallback = absl::AnyInvocable<void(absl::StatusOr<AppendResult>) &&>;

  // Atomically appends `request.events` to `request.stream` together with the stream
  // head, global positions, the request_id record and `read_model_writes`, then calls
  // `done` exactly once, on a store thread (or inline). OK means durable (RocksDB: the
  // WAL is synced). `done` must be quick and must not call Append itself synchronously;
  // it is how an async gRPC handler finishes its call without holding a thread.
  virtual void AppendAsync(AppendRequest request, AppendCallback done) = 0;

  // Blocking form of AppendAsync.
  absl::StatusOr<AppendResult> Append(AppendRequest request);

  // Events of one stream with version >= from_version (>= 1), at most `limit` (> 0).
  // An unknown stream reads as empty.
  virtual absl::StatusOr<std::vector<EventEnvelope>> ReadStream(absl::string_view stream,
                                                                int64_t from_version,
                                                                int limit) = 0;

  // Events of all streams with position >= from_position (>= 1), at most `limit`.
  absl::StatusOr<std::vector<EventEnvelope>> ReadAll(int64_t from_position, int limit);

  // Like ReadAll, but hands each event to `visit` instead of copying it out: the event
  // is only valid during the call (the store reuses it). `visit` returns false to
  // stop early. Returns the number of events visited. The fast path for replays.
  virtual absl::StatusOr<int64_t> ScanAll(int64_t from_position, int limit,
                                          absl::FunctionRef<bool(const EventEnvelope&)> visit) = 0;

  // Current version of a stream: 0 when it has no events.
  virtual absl::StatusOr<int64_t> StreamVersion(absl::string_view stream) = 0;

  // Global position of the newest committed event; 0 for an empty store.
  virtual int64_t LastPosition() const = 0;

  // Blocks until LastPosition() > after, `timeout` passes, WakeWaiters() is called or
  // the store closes. Returns LastPosition().
  virtual int64_t WaitForPosition(int64_t after, absl::Duration timeout) = 0;

  // Wakes every WaitForPosition caller (used to cancel subscriptions).
  virtual void WakeWaiters() = 0;

  // Read model written through AppendRequest::read_model_writes.
  virtual absl::StatusOr<std::optional<std::string>> GetReadModel(absl::string_view key) = 0;

  // Read-model entries whose key starts with `prefix` and sorts after `start_after`
  // (empty: from the beginning), in key order, at most `limit`.
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanReadModel(
      absl::string_view prefix, absl::string_view start_after, int limit) = 0;
};

// Checks everything about a request that does not depend on stored state. Shared by
// the implementations so both reject bad input with the same words.
absl::Status ValidateAppendRequest(const AppendRequest& request, const EventStoreOptions& options);
absl::Status ValidateStreamName(absl::string_view stream, const EventStoreOptions& options);

// INVALID_ARGUMENT unless limit > 0.
absl::Status ValidateLimit(int limit);

// ABORTED naming both versions, or OK when `expected` allows `actual`.
absl::Status CheckExpectedVersion(absl::string_view stream, int64_t expected, int64_t actual);

// What a repeated request_id returns: the first result, or INVALID_ARGUMENT when the id
// was first used on another stream.
absl::StatusOr<AppendResult> ReplayResult(const AppendRequest& request, AppendResult first);

// Builds an event for AppendRequest::events. `schema_version` defaults to 1.
EventEnvelope MakeEvent(const google::protobuf::Message& payload, absl::string_view actor,
                        absl::Time time, int32_t schema_version = 1);

}  // namespace bdtx::eventstore

#endif  // BDTX_COMMON_EVENTSTORE_EVENT_STORE_H_
