// One behavioural suite that every EventStore implementation must pass.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "common/eventstore/event_store.h"
#include "common/eventstore/memory_event_store.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "common/eventstore/subscription.h"
#include "common/testing/status_matchers.h"
#include "common/testing/temp_dir.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"

namespace bdtx::eventstore {
namespace {

using ::google::protobuf::StringValue;

struct StoreKind {
  std::string name;
  std::function<std::unique_ptr<EventStore>(const std::string& dir, EventStoreOptions)> open;
};

std::string PrintKind(const ::testing::TestParamInfo<StoreKind>& info) { return info.param.name; }

EventEnvelope Event(const std::string& text) {
  StringValue payload;
  payload.set_value(text);
  return MakeEvent(payload, "people/1", absl::FromUnixSeconds(1645977600));
}

std::string Text(const EventEnvelope& event) {
  StringValue payload;
  EXPECT_TRUE(event.payload().UnpackTo(&payload));
  return payload.value();
}

AppendRequest Request(const std::string& stream, int64_t expected, std::vector<std::string> texts,
                      const std::string& request_id = "") {
  AppendRequest req;
  req.stream = stream;
  req.expected_version = expected;
  req.request_id = request_id;
  for (const std::string& t : texts) req.events.push_back(Event(t));
  return req;
}

class EventStoreConformanceTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override { Reopen({}); }
  void Reopen(EventStoreOptions options) {
    store_.reset();
    store_ = GetParam().open(dir_.Sub("store"), options);
    ASSERT_NE(store_, nullptr);
  }

  testing::TempDir dir_;
  std::unique_ptr<EventStore> store_;
};

TEST_P(EventStoreConformanceTest, AppendAssignsVersionsAndGlobalPositions) {
  auto a = store_->Append(Request("documents/a", kNoStream, {"a1", "a2"}));
  ASSERT_OK(a);
  EXPECT_EQ(*a, (AppendResult{"documents/a", 1, 2, 1, 2, false}));
  auto b = store_->Append(Request("documents/b", kNoStream, {"b1"}));
  ASSERT_OK(b);
  EXPECT_EQ(*b, (AppendResult{"documents/b", 1, 1, 3, 3, false}));
  auto a2 = store_->Append(Request("documents/a", 2, {"a3"}));
  ASSERT_OK(a2);
  EXPECT_EQ(*a2, (AppendResult{"documents/a", 3, 3, 4, 4, false}));
  EXPECT_EQ(store_->LastPosition(), 4);
  EXPECT_EQ(*store_->StreamVersion("documents/a"), 3);
  EXPECT_EQ(*store_->StreamVersion("documents/none"), 0);

  auto events = store_->ReadStream("documents/a", 1, 100);
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ(Text((*events)[0]), "a1");
  EXPECT_EQ(Text((*events)[2]), "a3");
  EXPECT_EQ((*events)[2].version(), 3);
  EXPECT_EQ((*events)[2].position(), 4);
  EXPECT_EQ((*events)[2].stream(), "documents/a");
  EXPECT_EQ((*events)[0].actor(), "people/1");
  EXPECT_EQ((*events)[0].schema_version(), 1);
  EXPECT_EQ((*events)[0].time().seconds(), 1645977600);
}

TEST_P(EventStoreConformanceTest, ReadStreamHonoursFromVersionAndLimit) {
  ASSERT_OK(store_->Append(Request("s", kNoStream, {"1", "2", "3", "4", "5"})));
  auto events = store_->ReadStream("s", 2, 2);
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ(Text((*events)[0]), "2");
  EXPECT_EQ(Text((*events)[1]), "3");
  EXPECT_TRUE(store_->ReadStream("s", 6, 10)->empty());
  EXPECT_TRUE(store_->ReadStream("unknown", 1, 10)->empty());
}

TEST_P(EventStoreConformanceTest, ReadAllIsGlobalOrderAcrossStreams) {
  ASSERT_OK(store_->Append(Request("x", kNoStream, {"x1"})));
  ASSERT_OK(store_->Append(Request("y", kNoStream, {"y1", "y2"})));
  ASSERT_OK(store_->Append(Request("x", 1, {"x2"})));
  auto all = store_->ReadAll(1, 100);
  ASSERT_OK(all);
  std::vector<std::string> texts;
  for (const auto& e : *all) texts.push_back(Text(e));
  EXPECT_EQ(texts, (std::vector<std::string>{"x1", "y1", "y2", "x2"}));
  auto tail = store_->ReadAll(3, 1);
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ(Text((*tail)[0]), "y2");
  EXPECT_TRUE(store_->ReadAll(5, 10)->empty());
}

TEST_P(EventStoreConformanceTest, ScanAllVisitsInOrderAndStopsWhenAsked) {
  ASSERT_OK(store_->Append(Request("x", kNoStream, {"1", "2", "3", "4"})));
  std::vector<int64_t> seen;
  auto n = store_->ScanAll(2, 10, [&](const EventEnvelope& e) {
    seen.push_back(e.position());
    return e.position() < 3;  // stop after position 3
  });
  ASSERT_OK(n);
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(seen, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(*store_->ScanAll(5, 10, [](const EventEnvelope&) { return true; }), 0);
  EXPECT_EQ(store_->ScanAll(0, 10, [](const EventEnvelope&) { return true; }).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(EventStoreConformanceTest, WrongExpectedVersionIsAbortedNamingBothVersions) {
  ASSERT_OK(store_->Append(Request("s", kNoStream, {"1", "2"})));
  auto stale = store_->Append(Request("s", 1, {"3"}));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_NE(stale.status().message().find("đang ở phiên bản 2"), std::string::npos)
      << stale.status();
  EXPECT_NE(stale.status().message().find("mong đợi phiên bản 1"), std::string::npos);
  auto ahead = store_->Append(Request("s", 7, {"3"}));
  EXPECT_EQ(ahead.status().code(), absl::StatusCode::kAborted);
  auto exists = store_->Append(Request("s", kNoStream, {"3"}));
  EXPECT_EQ(exists.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->LastPosition(), 2);
  ASSERT_OK(store_->Append(Request("s", kAnyVersion, {"3"})));
  EXPECT_EQ(*store_->StreamVersion("s"), 3);
}

TEST_P(EventStoreConformanceTest, SameRequestIdReturnsFirstResultAndWritesNothing) {
  AppendRequest first = Request("s", kNoStream, {"1"}, "req-1");
  first.read_model_writes.push_back({"inbox/1", "v1"});
  auto r1 = store_->Append(first);
  ASSERT_OK(r1);
  // Retried with a now-stale expected version and different writes: still the first answer.
  AppendRequest retry = Request("s", kNoStream, {"1-again"}, "req-1");
  retry.read_model_writes.push_back({"inbox/1", "changed"});
  auto r2 = store_->Append(retry);
  ASSERT_OK(r2);
  EXPECT_TRUE(r2->replayed);
  EXPECT_FALSE(r1->replayed);
  AppendResult expected = *r1;
  expected.replayed = true;
  EXPECT_EQ(*r2, expected);
  EXPECT_EQ(store_->LastPosition(), 1);
  EXPECT_EQ(**store_->GetReadModel("inbox/1"), "v1");
  EXPECT_EQ(store_->ReadStream("s", 1, 10)->front().request_id(), "req-1");
}

TEST_P(EventStoreConformanceTest, RequestIdReusedOnAnotherStreamIsRejected) {
  ASSERT_OK(store_->Append(Request("s", kNoStream, {"1"}, "req-1")));
  auto other = store_->Append(Request("t", kNoStream, {"1"}, "req-1"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(other.status().message().find("đã được dùng cho luồng s"), std::string::npos);
  EXPECT_EQ(store_->LastPosition(), 1);
}

TEST_P(EventStoreConformanceTest, FailedAppendWritesNothingAndKeepsRequestIdFree) {
  ASSERT_OK(store_->Append(Request("s", kNoStream, {"1"})));
  AppendRequest stale = Request("s", kNoStream, {"2"}, "req-2");
  stale.read_model_writes.push_back({"k", "v"});
  EXPECT_EQ(store_->Append(stale).status().code(), absl::StatusCode::kAborted);
  EXPECT_FALSE(store_->GetReadModel("k")->has_value());
  EXPECT_EQ(store_->LastPosition(), 1);
  // The id was not consumed by the failure: a corrected retry goes through.
  auto fixed = store_->Append(Request("s", 1, {"2"}, "req-2"));
  ASSERT_OK(fixed);
  EXPECT_FALSE(fixed->replayed);
}

TEST_P(EventStoreConformanceTest, BadInputIsInvalidArgumentWithAReason) {
  struct Case {
    std::string name;
    AppendRequest request;
    std::string reason;
  };
  std::vector<Case> cases;
  cases.push_back({"empty stream", Request("", kNoStream, {"1"}), "stream name is empty"});
  cases.push_back(
      {"long stream", Request(std::string(257, 'x'), kNoStream, {"1"}), "the limit is 256"});
  cases.push_back({"NUL in stream", Request(std::string("a\0b", 3), kNoStream, {"1"}), "NUL"});
  cases.push_back({"negative version", Request("s", -2, {"1"}), "negative"});
  cases.push_back({"no events", Request("s", kNoStream, {}), "has no events"});
  cases.push_back(
      {"huge event", Request("s", kNoStream, {std::string(2 << 20, 'x')}), "the limit is 1048576"});
  cases.push_back({"long request id", Request("s", kNoStream, {"1"}, std::string(200, 'r')),
                   "request_id is 200 bytes"});
  AppendRequest untyped = Request("s", kNoStream, {"1"});
  untyped.events[0].clear_payload();
  cases.push_back({"untyped event", untyped, "no payload type"});
  AppendRequest empty_key = Request("s", kNoStream, {"1"});
  empty_key.read_model_writes.push_back({"", "v"});
  cases.push_back({"empty read-model key", empty_key, "read-model key"});
  for (Case& c : cases) {
    auto r = store_->Append(c.request);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(r.status().message().find(c.reason), std::string::npos)
        << c.name << ": " << r.status();
  }
  EXPECT_EQ(store_->LastPosition(), 0);
  EXPECT_EQ(store_->ReadStream("s", 0, 10).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ReadStream("s", -1, 10).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ReadStream("s", 1, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ReadStream("", 1, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ReadAll(0, 10).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ReadAll(1, -5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->StreamVersion("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(EventStoreConformanceTest, EventSizeLimitIsConfigurable) {
  EventStoreOptions small;
  small.max_event_bytes = 100;
  Reopen(small);
  EXPECT_OK(store_->Append(Request("s", kNoStream, {"short"})));
  auto big = store_->Append(Request("s", 1, {std::string(200, 'x')}));
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("the limit is 100"), std::string::npos);
}

// The RocksDB committer decides a group while the previous one is still being written,
// from an overlay of heads not yet durable. With small groups and every append queued at
// once (each stream's appends adjacent, so its next append is decided while the previous
// one may not be durable), every append must still see the true head: right expectations
// succeed, stale ones are ABORTED, nothing is skipped.
TEST_P(EventStoreConformanceTest, ExpectedVersionsHoldAcrossGroupsNotYetDurable) {
  EventStoreOptions small_groups;
  small_groups.max_group_commit = 7;
  Reopen(small_groups);
  constexpr int kStreams = 40;
  constexpr int kRounds = 6;
  std::vector<absl::StatusOr<AppendResult>> right(kStreams * kRounds), stale(kStreams * kRounds);
  absl::BlockingCounter answered(2 * kStreams * kRounds);
  for (int i = 0; i < kStreams; ++i) {
    for (int round = 0; round < kRounds; ++round) {
      const std::string stream = absl::StrCat("streams/", i);
      const int k = round * kStreams + i;
      store_->AppendAsync(Request(stream, round, {absl::StrCat(round)}),
                          [&, k](absl::StatusOr<AppendResult> r) {
                            right[k] = std::move(r);
                            answered.DecrementCount();
                          });
      store_->AppendAsync(Request(stream, round == 0 ? 5 : round - 1, {"stale"}),
                          [&, k](absl::StatusOr<AppendResult> r) {
                            stale[k] = std::move(r);
                            answered.DecrementCount();
                          });
    }
  }
  answered.Wait();
  for (int k = 0; k < kStreams * kRounds; ++k) {
    ASSERT_OK(right[k]) << "append " << k << ": " << right[k].status();
    EXPECT_EQ(right[k]->first_version, k / kStreams + 1) << k;
    EXPECT_EQ(stale[k].status().code(), absl::StatusCode::kAborted) << k;
  }
  for (int i = 0; i < kStreams; ++i) {
    EXPECT_EQ(*store_->StreamVersion(absl::StrCat("streams/", i)), kRounds);
  }
  EXPECT_EQ(store_->LastPosition(), kStreams * kRounds);
}

TEST_P(EventStoreConformanceTest, ReadModelWritesCommitWithEventsAndScanByPrefix) {
  AppendRequest req = Request("s", kNoStream, {"1"});
  req.read_model_writes = {{"inbox/p1/d1", "a"},
                           {"inbox/p1/d2", "b"},
                           {"inbox/p1/d3", "c"},
                           {"inbox/p2/d1", "x"},
                           {"inboy", "z"}};
  ASSERT_OK(store_->Append(req));
  auto all = store_->ScanReadModel("inbox/p1/", "", 10);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0], (std::pair<std::string, std::string>{"inbox/p1/d1", "a"}));
  auto page = store_->ScanReadModel("inbox/p1/", "inbox/p1/d1", 1);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].first, "inbox/p1/d2");
  EXPECT_EQ(store_->ScanReadModel("inbox/", "", 10)->size(), 4u);

  AppendRequest del = Request("s", 1, {"2"});
  del.read_model_writes = {{"inbox/p1/d2", std::nullopt}};
  ASSERT_OK(store_->Append(del));
  EXPECT_FALSE(store_->GetReadModel("inbox/p1/d2")->has_value());
  EXPECT_EQ(store_->ScanReadModel("inbox/p1/", "", 10)->size(), 2u);
}

TEST_P(EventStoreConformanceTest, ConcurrentAppendsToOneStreamHaveExactlyOneWinnerPerVersion) {
  constexpr int kThreads = 16;
  constexpr int kRounds = 30;
  std::atomic<int> wins{0};
  std::atomic<int> aborted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        // Every thread races for version `round + 1`.
        auto r = store_->Append(Request("contested", round, {absl::StrCat(t, "/", round)}));
        if (r.ok()) {
          ++wins;
        } else if (r.status().code() == absl::StatusCode::kAborted) {
          ++aborted;
        } else {
          ADD_FAILURE() << r.status();
        }
        while (*store_->StreamVersion("contested") <= round) std::this_thread::yield();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), kRounds);
  EXPECT_EQ(aborted.load(), kThreads * kRounds - kRounds);
  EXPECT_EQ(*store_->StreamVersion("contested"), kRounds);
}

TEST_P(EventStoreConformanceTest, ConcurrentAppendsToManyStreamsKeepGlobalOrderGapFree) {
  constexpr int kThreads = 12;
  constexpr int kAppends = 60;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        const std::string stream = absl::StrCat("s", (t + i) % 7);
        while (true) {
          const int64_t v = *store_->StreamVersion(stream);
          auto r = store_->Append(Request(stream, v, {"a", "b"}, absl::StrCat("t", t, "-", i)));
          if (r.ok()) break;
          ASSERT_EQ(r.status().code(), absl::StatusCode::kAborted) << r.status();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const int64_t total = kThreads * kAppends * 2;
  EXPECT_EQ(store_->LastPosition(), total);
  auto all = store_->ReadAll(1, static_cast<int>(total) + 10);
  ASSERT_OK(all);
  ASSERT_EQ(static_cast<int64_t>(all->size()), total);
  std::map<std::string, int64_t> last_version;
  for (int64_t i = 0; i < total; ++i) {
    const EventEnvelope& e = (*all)[i];
    EXPECT_EQ(e.position(), i + 1);
    EXPECT_EQ(e.version(), last_version[e.stream()] + 1) << e.stream();
    last_version[e.stream()] = e.version();
  }
  for (const auto& [stream, version] : last_version) {
    EXPECT_EQ(*store_->StreamVersion(stream), version);
    EXPECT_EQ(version % 2, 0) << "half of a two-event append is visible in " << stream;
  }
}

TEST_P(EventStoreConformanceTest, SubscriptionReplaysThenFollowsLiveEvents) {
  ASSERT_OK(store_->Append(Request("s", kNoStream, {"1", "2"})));
  Subscription sub(store_.get(), 2, 10);
  auto replay = sub.Next(absl::Seconds(1));
  ASSERT_OK(replay);
  ASSERT_EQ(replay->size(), 1u);
  EXPECT_EQ(Text((*replay)[0]), "2");
  EXPECT_TRUE(sub.Next(absl::Milliseconds(20))->empty());

  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(50));
    ASSERT_OK(store_->Append(Request("t", kNoStream, {"live"})));
  });
  const absl::Time start = absl::Now();
  auto live = sub.Next(absl::Seconds(10));
  writer.join();
  ASSERT_OK(live);
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ(Text((*live)[0]), "live");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(sub.next_position(), 4);
}

TEST_P(EventStoreConformanceTest, CancelUnblocksASubscriber) {
  Subscription sub(store_.get(), 1);
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(50));
    sub.Cancel();
  });
  const absl::Time start = absl::Now();
  auto r = sub.Next(absl::Seconds(3));
  canceller.join();
  // Either the wake-up or the next loop turn reports the cancellation.
  if (r.ok()) {
    EXPECT_TRUE(r->empty());
    r = sub.Next(absl::Seconds(3));
  }
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

INSTANTIATE_TEST_SUITE_P(
    AllStores, EventStoreConformanceTest,
    ::testing::Values(StoreKind{"Memory",
                                [](const std::string&, EventStoreOptions options) {
                                  return std::unique_ptr<EventStore>(new MemoryEventStore(options));
                                }},
                      StoreKind{"RocksDb",
                                [](const std::string& dir, EventStoreOptions options) {
                                  auto store = RocksDbEventStore::Open(dir, options);
                                  EXPECT_OK(store);
                                  return store.ok() ? std::unique_ptr<EventStore>(std::move(*store))
                                                    : nullptr;
                                }}),
    PrintKind);

}  // namespace
}  // namespace bdtx::eventstore
