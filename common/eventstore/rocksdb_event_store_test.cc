// RocksDB-only behaviour: what survives a reopen, and how bad directories are refused.
#include "common/eventstore/rocksdb_event_store.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/eventstore/key_codec.h"
#include "common/testing/status_matchers.h"
#include "common/testing/temp_dir.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace bdtx::eventstore {
namespace {

AppendRequest Request(const std::string& stream, int64_t expected, const std::string& text,
                      const std::string& request_id = "") {
  google::protobuf::StringValue payload;
  payload.set_value(text);
  AppendRequest req;
  req.stream = stream;
  req.expected_version = expected;
  req.request_id = request_id;
  req.events.push_back(MakeEvent(payload, "people/1", absl::UnixEpoch()));
  return req;
}

TEST(RocksDbEventStoreTest, EverythingSurvivesReopen) {
  testing::TempDir dir;
  AppendResult first;
  {
    auto store = RocksDbEventStore::Open(dir.path());
    ASSERT_OK(store);
    AppendRequest req = Request("s", kNoStream, "1", "req-1");
    req.read_model_writes.push_back({"inbox/x", "v"});
    first = *(*store)->Append(req);
    ASSERT_OK((*store)->Append(Request("t", kNoStream, "2")));
  }
  auto store = RocksDbEventStore::Open(dir.path());
  ASSERT_OK(store);
  EXPECT_EQ((*store)->LastPosition(), 2);
  EXPECT_EQ(*(*store)->StreamVersion("s"), 1);
  EXPECT_EQ(**(*store)->GetReadModel("inbox/x"), "v");
  auto replay = (*store)->Append(Request("s", kNoStream, "1", "req-1"));
  ASSERT_OK(replay);
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(replay->first_position, first.first_position);
  auto next = (*store)->Append(Request("s", 1, "3"));
  ASSERT_OK(next);
  EXPECT_EQ(next->first_position, 3);  // positions continue without a gap
}

// Stores written before ADR 006 were compacted by level: their files sit in L1..Ln.
// Universal compaction must open them, read everything and go on compacting.
TEST(RocksDbEventStoreTest, StoreLaidOutByLeveledCompactionOpensAndKeepsWorking) {
  testing::TempDir dir;
  constexpr int kStreams = 300;
  {
    auto store = RocksDbEventStore::Open(dir.path());
    ASSERT_OK(store);
    for (int i = 0; i < kStreams; ++i) {
      AppendRequest req = Request(absl::StrCat("s", i), kNoStream, std::string(500, 'x'));
      req.read_model_writes.push_back({absl::StrCat("doc/", i), "v1"});
      ASSERT_OK((*store)->Append(req));
    }
  }
  {
    // What the old options left behind: everything compacted by level into L2.
    rocksdb::Options leveled;
    leveled.compaction_style = rocksdb::kCompactionStyleLevel;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(leveled, dir.path(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::CompactRangeOptions to_l2;
    to_l2.change_level = true;
    to_l2.target_level = 2;
    ASSERT_TRUE(db->CompactRange(to_l2, nullptr, nullptr).ok());
    std::string files;
    ASSERT_TRUE(db->GetProperty("rocksdb.num-files-at-level2", &files));
    ASSERT_NE(files, "0") << "the setup must leave files in L2";
  }
  auto store = RocksDbEventStore::Open(dir.path());
  ASSERT_OK(store);
  EXPECT_EQ((*store)->LastPosition(), kStreams);
  for (int i = 0; i < kStreams; ++i) {
    AppendRequest req = Request(absl::StrCat("s", i), 1, "second");
    req.read_model_writes.push_back({absl::StrCat("doc/", i), "v2"});
    ASSERT_OK((*store)->Append(req)) << i;
  }
  auto events = (*store)->ReadStream("s7", 1, 10);
  ASSERT_OK(events);
  EXPECT_EQ(events->size(), 2u);
  EXPECT_EQ(**(*store)->GetReadModel("doc/299"), "v2");
  EXPECT_EQ((*store)->LastPosition(), 2 * kStreams);
}

TEST(RocksDbEventStoreTest, SecondOpenOfTheSameDirectoryIsRefusedAsLocked) {
  testing::TempDir dir;
  auto first = RocksDbEventStore::Open(dir.path());
  ASSERT_OK(first);
  auto second = RocksDbEventStore::Open(dir.path());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("locked"), std::string::npos) << second.status();
}

TEST(RocksDbEventStoreTest, StoreFromANewerFormatIsRefused) {
  testing::TempDir dir;
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.path(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), keys::kFormatKey, "99").ok());
  }
  auto store = RocksDbEventStore::Open(dir.path());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("format version 99"), std::string::npos)
      << store.status();
}

TEST(RocksDbEventStoreTest, ForeignRocksDbIsRefused) {
  testing::TempDir dir;
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.path(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "someone-else", "x").ok());
  }
  auto store = RocksDbEventStore::Open(dir.path());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("not a bdtx event store"), std::string::npos);
}

TEST(RocksDbEventStoreTest, CorruptManifestIsAClearErrorNotACrash) {
  testing::TempDir dir;
  {
    auto store = RocksDbEventStore::Open(dir.path());
    ASSERT_OK(store);
    ASSERT_OK((*store)->Append(Request("s", kNoStream, "1")));
  }
  std::string current;
  std::getline(std::ifstream(dir.Sub("CURRENT")), current);
  ASSERT_FALSE(current.empty());
  {
    std::ofstream manifest(dir.Sub(current), std::ios::binary | std::ios::trunc);
    manifest << std::string(300, '\x5a');
  }
  auto store = RocksDbEventStore::Open(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(dir.path()), std::string::npos) << store.status();
  EXPECT_TRUE(store.status().code() == absl::StatusCode::kDataLoss ||
              store.status().code() == absl::StatusCode::kFailedPrecondition ||
              store.status().code() == absl::StatusCode::kUnavailable)
      << store.status();
}

TEST(RocksDbEventStoreTest, CheckpointIsAnOpenableCopy) {
  testing::TempDir dir;
  auto store = RocksDbEventStore::Open(dir.Sub("live"));
  ASSERT_OK(store);
  ASSERT_OK((*store)->Append(Request("s", kNoStream, "1")));
  ASSERT_OK((*store)->Checkpoint(dir.Sub("backup")));
  ASSERT_OK((*store)->Append(Request("s", 1, "2")));
  auto copy = RocksDbEventStore::Open(dir.Sub("backup"));
  ASSERT_OK(copy);
  EXPECT_EQ((*copy)->LastPosition(), 1);
}

TEST(KeyCodecTest, FixedWidthNumbersSortNumerically) {
  EXPECT_LT(keys::PositionKey(9), keys::PositionKey(10));
  EXPECT_LT(keys::PositionKey(255), keys::PositionKey(256));
  EXPECT_LT(keys::StreamKey("a", 2), keys::StreamKey("a", 10));
  // A stream name that extends another never interleaves with it.
  EXPECT_LT(keys::StreamKey("a", 0xffff), keys::StreamKey("ab", 1));
  AppendResult r{"documents/1", 3, 4, 10, 11, false};
  EXPECT_EQ(*keys::DecodeRequestRecord(keys::EncodeRequestRecord(r)), r);
  EXPECT_FALSE(keys::DecodeRequestRecord("short").has_value());
}

TEST(RocksDbEventStoreTest, AppendsAreRefusedNamingTheDiskBelowTheFreeSpaceReserve) {
  testing::TempDir dir;
  {
    auto store = RocksDbEventStore::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Append(Request("s", kNoStream, "1")).ok());
    EXPECT_TRUE((*store)->Health().ok());
  }
  // A reserve larger than any disk: the disk counts as full.
  EventStoreOptions options;
  options.min_free_disk_bytes = UINT64_MAX;
  auto store = RocksDbEventStore::Open(dir.path(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  auto refused = (*store)->Append(Request("s", 1, "2", "req-2"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  EXPECT_NE(refused.status().message().find("ổ đĩa chứa kho sự kiện"), std::string::npos)
      << refused.status();
  EXPECT_EQ((*store)->Health().code(), absl::StatusCode::kResourceExhausted);
  // Nothing was stored or decided; reads work.
  EXPECT_EQ((*store)->LastPosition(), 1);
  auto events = (*store)->ReadStream("s", 1, 10);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 1u);
  store->reset();
  // With room again the same request is applied (it was never recorded).
  auto reopened = RocksDbEventStore::Open(dir.path());
  ASSERT_TRUE(reopened.ok());
  auto applied = (*reopened)->Append(Request("s", 1, "2", "req-2"));
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ((*reopened)->LastPosition(), 2);
}

}  // namespace
}  // namespace bdtx::eventstore
