#include "common/eventstore/rocksdb_event_store.h"

#include <sys/statvfs.h>

#include <filesystem>
#include <system_error>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/eventstore/key_codec.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/statistics.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"

namespace bdtx::eventstore {
namespace {

// Only store/ code converts rocksdb::Status; callers see absl codes.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNoSpace() || absl::StrContains(s.ToString(), "No space left on device")) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": ổ đĩa chứa kho sự kiện đã đầy (", s.ToString(),
                     "); hãy giải phóng chỗ trên ổ đĩa đó rồi khởi động lại dịch vụ"));
  }
  if (s.IsCorruption()) {
    return absl::DataLossError(absl::StrCat(what, ": stored data is corrupt: ", s.ToString()));
  }
  if (s.IsInvalidArgument())
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", s.ToString()));
  return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
}

absl::Status OpenError(const rocksdb::Status& s, const std::string& path) {
  const std::string detail = s.ToString();
  if (s.IsIOError() && (absl::StrContains(detail, "lock") || absl::StrContains(detail, "LOCK"))) {
    return absl::FailedPreconditionError(
        absl::StrCat("event store at ", path,
                     " is locked by another process; stop that process or use another data "
                     "directory (",
                     detail, ")"));
  }
  if (s.IsCorruption()) {
    return absl::DataLossError(absl::StrCat("event store at ", path,
                                            " is corrupt and was not opened; restore it "
                                            "from a checkpoint (",
                                            detail, ")"));
  }
  if (s.IsInvalidArgument() || s.IsNotSupported()) {
    return absl::FailedPreconditionError(
        absl::StrCat("event store at ", path, " cannot be opened: ", detail));
  }
  return absl::UnavailableError(
      absl::StrCat("event store at ", path, " cannot be opened: ", detail));
}

// The event value is the stored envelope; stream, version and position are written as
// a small protobuf prefix in front of the caller's pre-serialized fields (protobuf
// parses the concatenation of two messages as their merge), so the committer thread
// never serializes payloads.
std::string EventValue(absl::string_view stream, int64_t version, int64_t position,
                       const std::string& body) {
  EventEnvelope header;
  header.set_stream(std::string(stream));
  header.set_version(version);
  header.set_position(position);
  std::string value = header.SerializeAsString();
  value.append(body);
  return value;
}

absl::StatusOr<EventEnvelope> ParseEvent(absl::string_view key, absl::string_view value) {
  EventEnvelope event;
  if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError(
        absl::StrCat("event at key ", absl::CEscape(key), " cannot be decoded"));
  }
  return event;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RocksDbEventStore>> RocksDbEventStore::Open(
    const std::string& path, EventStoreOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create event store directory ", path, ": ", ec.message()));
  }
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.paranoid_checks = true;
  db_options.max_background_jobs = 2;
  // Small memtables keep skiplist inserts cheap on the committer path (measured:
  // 16 MiB beat 64 MiB by ~15% at 64 appenders, docs/perf-history.md).
  db_options.write_buffer_size = 16 << 20;
  // Most request-id lookups miss (new commands): a memtable bloom filter answers those
  // without walking the skiplist.
  db_options.memtable_whole_key_filtering = true;
  db_options.memtable_prefix_bloom_size_ratio = 0.1;
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Universal (tiered) compaction: an event store is write-heavy and its read models are
  // overwritten by every command; leveled compaction rewrote each flushed byte ~20 times
  // (ADR 006, docs/perf-history.md "Universal compaction").
  db_options.compaction_style = rocksdb::kCompactionStyleUniversal;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(128 << 20);
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Tickers only (stall time, block cache hits): per-core counters, no timers.
  db_options.statistics = rocksdb::CreateDBStatistics();
  db_options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptTimers);

  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, path, &raw);
  if (!s.ok()) return OpenError(s, path);
  std::unique_ptr<rocksdb::DB> db(raw);

  // Format marker: refuse stores written by a newer binary or by something else.
  std::string format;
  s = db->Get(rocksdb::ReadOptions(), keys::kFormatKey, &format);
  if (s.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    if (it->Valid()) {
      return absl::FailedPreconditionError(
          absl::StrCat("directory ", path,
                       " holds a RocksDB database that is not a bdtx event store (no "
                       "format marker); refusing to use it"));
    }
    rocksdb::WriteOptions sync;
    sync.sync = true;
    s = db->Put(sync, keys::kFormatKey, absl::StrCat(kFormatVersion));
    if (!s.ok()) return OpenError(s, path);
  } else if (!s.ok()) {
    return OpenError(s, path);
  } else {
    int stored = 0;
    if (!absl::SimpleAtoi(format, &stored)) {
      return absl::DataLossError(
          absl::StrCat("event store at ", path, " has an unreadable format marker"));
    }
    if (stored > kFormatVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "event store at ", path, " was written by format version ", stored,
          "; this binary reads up to version ", kFormatVersion, ". Run a newer binary."));
    }
  }

  // The newest position is the last key of the position range.
  int64_t last_position = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    it->SeekForPrev(keys::PositionKey(-1));  // 0xffff... sorts after every position
    if (it->Valid() && it->key().size() == 9 && it->key()[0] == keys::kPositionPrefix) {
      last_position =
          static_cast<int64_t>(*keys::GetFixed64(absl::string_view(it->key().data() + 1, 8)));
    } else if (!it->status().ok()) {
      return OpenError(it->status(), path);
    }
  }
  return std::unique_ptr<RocksDbEventStore>(
      new RocksDbEventStore(std::move(db), path, options, last_position));
}

RocksDbEventStore::RocksDbEventStore(std::unique_ptr<rocksdb::DB> db, std::string path,
                                     EventStoreOptions options, int64_t last_position)
    : db_(std::move(db)),
      path_(std::move(path)),
      options_(options),
      next_position_(last_position + 1),
      watch_(last_position),
      decider_([this] { DecideLoop(); }),
      writer_([this] { WriteLoop(); }) {}

RocksDbEventStore::~RocksDbEventStore() {
  {
    AnnotatedLock lock(mu_);
    stopping_ = true;
  }
  queue_ready_.notify_all();
  decider_.join();
  writer_.join();
  watch_.Close();
  db_->Close().PermitUncheckedError();
}

void RocksDbEventStore::AppendAsync(AppendRequest request, AppendCallback done) {
  if (absl::Status s = ValidateAppendRequest(request, options_); !s.ok()) {
    std::move(done)(s);
    return;
  }
  auto pending = std::make_unique<PendingAppend>();
  if (options_.observer) pending->taken = absl::Now();
  // Serialize on the caller's thread; the decider only concatenates.
  pending->event_bytes.reserve(request.events.size());
  for (EventEnvelope& event : request.events) {
    event.clear_stream();
    event.clear_version();
    event.clear_position();
    event.set_request_id(request.request_id);
    pending->event_bytes.push_back(event.SerializeAsString());
  }
  request.events.clear();
  pending->request = std::move(request);
  pending->done = std::move(done);
  bool wake = false;
  {
    AnnotatedLock lock(mu_);
    if (stopping_) {
      pending->result = absl::UnavailableError("event store is closing");
    } else {
      wake = queue_.empty();  // the decider sleeps only on an empty queue
      queue_.push_back(std::move(pending));
    }
  }
  if (pending) {
    std::move(pending->done)(std::move(pending->result));
    return;
  }
  if (wake) queue_ready_.notify_one();
}

void RocksDbEventStore::DecideLoop() {
  while (true) {
    auto group = std::make_unique<Group>();
    {
      AnnotatedLock lock(mu_);
      lock.Wait(queue_ready_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return (!queue_.empty() && decided_.size() < kMaxGroupsInFlight) || stopping_;
      });
      if (queue_.empty()) {
        decider_done_ = true;  // stopping and drained
        decided_ready_.notify_one();
        return;
      }
      while (!queue_.empty() && group->appends.size() < options_.max_group_commit) {
        group->appends.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (absl::Status room = CheckFreeSpace(); !room.ok()) {
      // Refused before deciding: nothing is decided on top of these appends, so the
      // store goes on normally once there is room again.
      for (const std::unique_ptr<PendingAppend>& p : group->appends) {
        std::move(p->done)(room);
      }
      continue;
    }
    Decide(*group);
    {
      AnnotatedLock lock(mu_);
      decided_.push_back(std::move(group));
    }
    decided_ready_.notify_one();
  }
}

absl::Status RocksDbEventStore::CheckFreeSpace() const {
  absl::Status room = absl::OkStatus();
  struct statvfs fs;
  if (statvfs(path_.c_str(), &fs) == 0) {
    const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (free_bytes < options_.min_free_disk_bytes) {
      room = absl::ResourceExhaustedError(absl::StrCat(
          "ổ đĩa chứa kho sự kiện (", path_, ") đã đầy: còn trống ", free_bytes >> 20,
          " MiB, ít hơn ", options_.min_free_disk_bytes >> 20,
          " MiB cần giữ dự phòng; chưa lưu gì. Hãy giải phóng chỗ trên ổ đĩa đó: việc ghi sẽ "
          "tự tiếp tục"));
    }
  }
  return room;
}

absl::Status RocksDbEventStore::Health() const {
  {
    absl::MutexLock lock(&health_mu_);
    if (!failed_health_.ok()) return failed_health_;
  }
  return CheckFreeSpace();
}

void RocksDbEventStore::WriteLoop() {
  while (true) {
    std::unique_ptr<Group> group;
    {
      AnnotatedLock lock(mu_);
      lock.Wait(decided_ready_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !decided_.empty() || decider_done_;
      });
      if (decided_.empty()) return;  // the decider stopped and everything is written
      group = std::move(decided_.front());
      decided_.pop_front();
    }
    queue_ready_.notify_one();  // room for another group in flight
    Write(*group);
  }
}

absl::StatusOr<int64_t> RocksDbEventStore::LoadHead(absl::string_view stream) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), keys::HeadKey(stream), &value);
  if (s.IsNotFound()) return 0;
  if (!s.ok()) return FromRocks(s, "reading stream head");
  std::optional<uint64_t> head = keys::GetFixed64(value);
  if (!head) return absl::DataLossError(absl::StrCat("head of stream ", stream, " is corrupt"));
  return static_cast<int64_t>(*head);
}

absl::StatusOr<std::optional<AppendResult>> RocksDbEventStore::LoadRequest(
    absl::string_view request_id) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), keys::RequestKey(request_id), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading request record");
  std::optional<AppendResult> record = keys::DecodeRequestRecord(value);
  if (!record) {
    return absl::DataLossError(absl::StrCat("record of request ", request_id, " is corrupt"));
  }
  return record;
}

void RocksDbEventStore::Decide(Group& group) {
  // Overlay entries of groups that are durable now are in RocksDB: drop them.
  const uint64_t durable = durable_group_.load(std::memory_order_acquire);
  absl::erase_if(pending_heads_, [durable](const auto& e) { return e.second.group <= durable; });
  absl::erase_if(pending_requests_, [durable](const auto& e) { return e.second.group <= durable; });
  group.id = ++last_group_id_;

  for (const std::unique_ptr<PendingAppend>& owned : group.appends) {
    PendingAppend* p = owned.get();
    const AppendRequest& req = p->request;
    if (!req.request_id.empty()) {
      if (auto it = pending_requests_.find(req.request_id); it != pending_requests_.end()) {
        // Answered when this group is written, i.e. after the first append is durable.
        p->result = ReplayResult(req, it->second.result);
        group.written.push_back(p);
        continue;
      }
      absl::StatusOr<std::optional<AppendResult>> stored = LoadRequest(req.request_id);
      if (!stored.ok()) {
        p->result = stored.status();
        continue;
      }
      if (stored->has_value()) {
        p->result = ReplayResult(req, **stored);
        continue;
      }
    }
    int64_t head;
    if (auto it = pending_heads_.find(req.stream); it != pending_heads_.end()) {
      head = it->second.head;
    } else {
      absl::StatusOr<int64_t> loaded = LoadHead(req.stream);
      if (!loaded.ok()) {
        p->result = loaded.status();
        continue;
      }
      head = *loaded;
    }
    if (absl::Status s = CheckExpectedVersion(req.stream, req.expected_version, head); !s.ok()) {
      p->result = s;
      continue;
    }
    AppendResult result;
    result.stream = req.stream;
    result.first_version = head + 1;
    result.first_position = next_position_;
    for (const std::string& body : p->event_bytes) {
      ++head;
      group.batch.Put(keys::PositionKey(next_position_),
                      EventValue(req.stream, head, next_position_, body));
      group.batch.Put(keys::StreamKey(req.stream, head), keys::Fixed64(next_position_));
      ++next_position_;
    }
    result.last_version = head;
    result.last_position = next_position_ - 1;
    group.batch.Put(keys::HeadKey(req.stream), keys::Fixed64(head));
    pending_heads_[req.stream] = {head, group.id};
    if (!req.request_id.empty()) {
      group.batch.Put(keys::RequestKey(req.request_id), keys::EncodeRequestRecord(result));
      pending_requests_[req.request_id] = {result, group.id};
    }
    for (const ReadModelWrite& write : req.read_model_writes) {
      if (write.value.has_value()) {
        group.batch.Put(keys::ReadModelKey(write.key), *write.value);
      } else {
        group.batch.Delete(keys::ReadModelKey(write.key));
      }
    }
    p->result = std::move(result);
    group.written.push_back(p);
  }
  group.last_position = next_position_ - 1;
}

void RocksDbEventStore::Write(Group& group) {
  if (failed_.ok() && group.batch.Count() > 0) {
    rocksdb::WriteOptions sync;
    sync.sync = true;  // durability: acknowledged means the WAL is on disk
    const absl::Time start = options_.observer ? absl::Now() : absl::InfinitePast();
    rocksdb::Status s = db_->Write(sync, &group.batch);
    if (options_.observer) {
      options_.observer->OnGroupWritten(group.appends.size(), absl::Now() - start);
    }
    if (s.ok()) {
      watch_.Publish(group.last_position);
    } else {
      // Later groups were decided on top of this one: the store stops accepting
      // appends until it is reopened (RocksDB itself turns read-only here too).
      failed_ = FromRocks(s, absl::StrCat("event store write to ", path_,
                                          " failed; no append is accepted until the service "
                                          "restarts"));
      absl::MutexLock lock(&health_mu_);
      failed_health_ = failed_;
    }
  }
  if (!failed_.ok()) {
    for (PendingAppend* p : group.written) {
      // RESOURCE_EXHAUSTED stays (a full disk); anything else is UNAVAILABLE.
      p->result =
          absl::Status(absl::IsResourceExhausted(failed_) ? absl::StatusCode::kResourceExhausted
                                                          : absl::StatusCode::kUnavailable,
                       absl::StrCat("nothing of this append was stored: ", failed_.message()));
    }
  }
  durable_group_.store(group.id, std::memory_order_release);
  const absl::Time now = options_.observer ? absl::Now() : absl::InfinitePast();
  for (const std::unique_ptr<PendingAppend>& p : group.appends) {
    if (options_.observer) options_.observer->OnAppendAnswered(now - p->taken, p->result.ok());
    std::move(p->done)(std::move(p->result));
  }
}

std::optional<uint64_t> RocksDbEventStore::IntProperty(const std::string& name) const {
  uint64_t value = 0;
  if (!db_->GetIntProperty(name, &value)) return std::nullopt;
  return value;
}

std::optional<uint64_t> RocksDbEventStore::Ticker(const std::string& name) const {
  const std::shared_ptr<rocksdb::Statistics>& stats = db_->GetOptions().statistics;
  if (!stats) return std::nullopt;
  for (const auto& [ticker, ticker_name] : rocksdb::TickersNameMap) {
    if (ticker_name == name) return stats->getTickerCount(ticker);
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<EventEnvelope>> RocksDbEventStore::ReadStream(absl::string_view stream,
                                                                         int64_t from_version,
                                                                         int limit) {
  if (absl::Status s = ValidateStreamName(stream, options_); !s.ok()) return s;
  if (from_version < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("from_version must be >= 1, got ", from_version));
  }
  if (absl::Status s = ValidateLimit(limit); !s.ok()) return s;

  // The head first (a point read, bloom-filtered): most loads are of new or short
  // streams, and point reads are far cheaper than an iterator over every level.
  absl::StatusOr<int64_t> head = LoadHead(stream);
  if (!head.ok()) return head.status();
  if (*head < from_version) return std::vector<EventEnvelope>();
  const int64_t last = std::min<int64_t>(*head, from_version + limit - 1);
  std::vector<std::string> stream_keys;
  stream_keys.reserve(static_cast<size_t>(last - from_version + 1));
  for (int64_t v = from_version; v <= last; ++v) stream_keys.push_back(keys::StreamKey(stream, v));
  std::vector<std::string> position_keys;
  {
    std::vector<rocksdb::Slice> slices(stream_keys.begin(), stream_keys.end());
    std::vector<std::string> values;
    std::vector<rocksdb::Status> statuses = db_->MultiGet(rocksdb::ReadOptions(), slices, &values);
    for (size_t i = 0; i < values.size(); ++i) {
      if (!statuses[i].ok()) {
        return statuses[i].IsNotFound()
                   ? absl::DataLossError(absl::StrCat("stream ", stream, " has no version ",
                                                      from_version + static_cast<int64_t>(i),
                                                      " below its head ", *head))
                   : FromRocks(statuses[i], "reading stream");
      }
      std::optional<uint64_t> pos = keys::GetFixed64(values[i]);
      if (!pos) return absl::DataLossError(absl::StrCat("index of stream ", stream, " is corrupt"));
      position_keys.push_back(keys::PositionKey(static_cast<int64_t>(*pos)));
    }
  }
  std::vector<rocksdb::Slice> slices(position_keys.begin(), position_keys.end());
  std::vector<std::string> values;
  std::vector<rocksdb::Status> statuses = db_->MultiGet(rocksdb::ReadOptions(), slices, &values);
  std::vector<EventEnvelope> out;
  out.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!statuses[i].ok()) {
      return statuses[i].IsNotFound() ? absl::DataLossError(absl::StrCat(
                                            "stream ", stream, " points at a missing event"))
                                      : FromRocks(statuses[i], "reading event");
    }
    absl::StatusOr<EventEnvelope> event = ParseEvent(position_keys[i], values[i]);
    if (!event.ok()) return event.status();
    out.push_back(*std::move(event));
  }
  return out;
}

absl::StatusOr<int64_t> RocksDbEventStore::ScanAll(
    int64_t from_position, int limit, absl::FunctionRef<bool(const EventEnvelope&)> visit) {
  if (from_position < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("from_position must be >= 1, got ", from_position));
  }
  if (absl::Status s = ValidateLimit(limit); !s.ok()) return s;
  rocksdb::ReadOptions read;
  const std::string upper(1, keys::kPositionPrefix + 1);
  rocksdb::Slice upper_slice(upper);
  read.iterate_upper_bound = &upper_slice;
  read.readahead_size = 2 << 20;
  read.fill_cache = false;  // a replay would evict the hot working set
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
  // One message reused for every event: parsing into it reuses its string buffers.
  EventEnvelope event;
  int64_t expected = from_position;
  int64_t visited = 0;
  for (it->Seek(keys::PositionKey(from_position)); it->Valid() && visited < limit; it->Next()) {
    const rocksdb::Slice value = it->value();
    if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return absl::DataLossError(
          absl::StrCat("event at position ", expected, " cannot be decoded"));
    }
    if (event.position() != expected) {
      return absl::DataLossError(absl::StrCat("global order has a gap: expected position ",
                                              expected, ", found ", event.position()));
    }
    ++expected;
    ++visited;
    if (!visit(event)) break;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading events");
  return visited;
}

absl::StatusOr<int64_t> RocksDbEventStore::StreamVersion(absl::string_view stream) {
  if (absl::Status s = ValidateStreamName(stream, options_); !s.ok()) return s;
  return LoadHead(stream);
}

absl::StatusOr<std::optional<std::string>> RocksDbEventStore::GetReadModel(absl::string_view key) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), keys::ReadModelKey(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading read model");
  return value;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> RocksDbEventStore::ScanReadModel(
    absl::string_view prefix, absl::string_view start_after, int limit) {
  if (absl::Status s = ValidateLimit(limit); !s.ok()) return s;
  const std::string full_prefix = keys::ReadModelKey(prefix);
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  if (start_after.empty() || start_after < prefix) {
    it->Seek(full_prefix);
  } else {
    const std::string after = keys::ReadModelKey(start_after);
    it->Seek(after);
    if (it->Valid() && it->key() == after) it->Next();
  }
  for (; it->Valid() && it->key().starts_with(full_prefix) && static_cast<int>(out.size()) < limit;
       it->Next()) {
    out.emplace_back(std::string(it->key().data() + 1, it->key().size() - 1),
                     it->value().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scanning read model");
  return out;
}

absl::Status RocksDbEventStore::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &raw);
  if (!s.ok()) return FromRocks(s, "creating checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir), "writing checkpoint");
}

}  // namespace bdtx::eventstore
