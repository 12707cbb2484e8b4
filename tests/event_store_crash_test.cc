// Kills a writing process with SIGKILL at random moments and checks, after each kill,
// that every acknowledged append is stored, no stream has a gap, the global order is
// gap-free and no half-written command is visible.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"

namespace bdtx::eventstore {
namespace {

struct Ack {
  std::string stream;
  int64_t first_version;
  int64_t first_position;
  std::string request_id;
};

class Child {
 public:
  Child(const std::string& dir, const std::string& run) {
    int fds[2];
    if (pipe(fds) != 0) std::abort();
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl(BDTX_CRASH_CHILD_PATH, BDTX_CRASH_CHILD_PATH, dir.c_str(), run.c_str(),
            static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    close(fds[1]);
    fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }

  // Reads output until `deadline`, or to end of file when deadline is InfiniteFuture.
  void ReadUntil(absl::Time deadline) {
    char buf[65536];
    while (true) {
      int timeout_ms = -1;
      if (deadline != absl::InfiniteFuture()) {
        timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
        if (timeout_ms <= 0) return;
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) continue;
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) return;
      output_.append(buf, static_cast<size_t>(n));
    }
  }

  bool Ready() const { return output_.find("READY\n") != std::string::npos; }

  // SIGKILL, then collect everything the child wrote before it died.
  int KillAndDrain() {
    kill(pid_, SIGKILL);
    ReadUntil(absl::InfiniteFuture());
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  std::vector<Ack> Acks() const {
    std::vector<Ack> acks;
    for (absl::string_view line : absl::StrSplit(output_, '\n')) {
      std::vector<std::string> f = absl::StrSplit(line, ' ');
      if (f.size() != 5 || f[0] != "ACK") continue;  // READY, or a line cut by the kill
      Ack ack{f[1], 0, 0, f[4]};
      if (!absl::SimpleAtoi(f[2], &ack.first_version) ||
          !absl::SimpleAtoi(f[3], &ack.first_position)) {
        continue;
      }
      acks.push_back(ack);
    }
    return acks;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
};

void VerifyStore(const std::string& dir, const std::vector<Ack>& acks) {
  auto opened = RocksDbEventStore::Open(dir);
  ASSERT_TRUE(opened.ok()) << opened.status();
  RocksDbEventStore& store = **opened;

  // Every acknowledged append is there, exactly as acknowledged.
  for (const Ack& ack : acks) {
    auto events = store.ReadStream(ack.stream, ack.first_version, 3);
    ASSERT_TRUE(events.ok()) << events.status();
    ASSERT_EQ(events->size(), 3u) << "acknowledged append " << ack.request_id << " is lost";
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ((*events)[i].request_id(), ack.request_id);
      EXPECT_EQ((*events)[i].position(), ack.first_position + i);
    }
  }

  // Global order: gap-free 1..LastPosition; per stream: contiguous versions, whole
  // commands only, and the read model written in the same batch agrees.
  const int64_t last = store.LastPosition();
  std::map<std::string, std::vector<std::string>> ids_by_stream;
  int64_t expected_position = 1;
  while (expected_position <= last) {
    auto batch = store.ReadAll(expected_position, 10000);
    ASSERT_TRUE(batch.ok()) << batch.status();
    ASSERT_FALSE(batch->empty()) << "global order ends at " << expected_position - 1
                                 << " but LastPosition is " << last;
    for (const EventEnvelope& e : *batch) {
      ASSERT_EQ(e.position(), expected_position);
      auto& ids = ids_by_stream[e.stream()];
      ASSERT_EQ(e.version(), static_cast<int64_t>(ids.size()) + 1) << "gap in " << e.stream();
      ids.push_back(e.request_id());
      ++expected_position;
    }
  }
  EXPECT_TRUE(store.ReadAll(last + 1, 10)->empty());
  for (const auto& [stream, ids] : ids_by_stream) {
    ASSERT_EQ(ids.size() % 3, 0u) << "half-written command in " << stream;
    for (size_t i = 0; i < ids.size(); i += 3) {
      EXPECT_EQ(ids[i], ids[i + 1]);
      EXPECT_EQ(ids[i], ids[i + 2]);
    }
    EXPECT_EQ(*store.StreamVersion(stream), static_cast<int64_t>(ids.size()));
    auto head = store.GetReadModel(absl::StrCat("head/", stream));
    ASSERT_TRUE(head.ok() && head->has_value()) << stream;
    EXPECT_EQ(**head, absl::StrCat(ids.size())) << "read model disagrees with " << stream;
  }
}

TEST(EventStoreCrashTest, AcknowledgedAppendsSurviveKillNine) {
  int iterations = 20;
  if (const char* env = std::getenv("BDTX_CRASH_ITERATIONS")) iterations = std::atoi(env);
  testing::TempDir dir;
  const std::string store_dir = dir.Sub("store");
  std::mt19937 rng(std::random_device{}());
  std::vector<Ack> all_acks;
  for (int i = 0; i < iterations; ++i) {
    Child child(store_dir, absl::StrCat("run", i));
    const absl::Time ready_deadline = absl::Now() + absl::Seconds(30);
    while (!child.Ready() && absl::Now() < ready_deadline) {
      child.ReadUntil(absl::Now() + absl::Milliseconds(10));
    }
    ASSERT_TRUE(child.Ready()) << "child did not open the store";
    if (i == 0) {
      // While the child holds the store, another process must be refused.
      auto locked = RocksDbEventStore::Open(store_dir);
      EXPECT_EQ(locked.status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_NE(locked.status().message().find("locked by another process"), std::string::npos)
          << locked.status();
    }
    child.ReadUntil(absl::Now() + absl::Milliseconds(20 + rng() % 300));
    // A slow build (ThreadSanitizer, a loaded CI machine) may need longer for the first
    // acknowledgement; the kill must still land while appends are in flight.
    for (const absl::Time give_up = absl::Now() + absl::Seconds(30);
         child.Acks().empty() && absl::Now() < give_up;) {
      child.ReadUntil(absl::Now() + absl::Milliseconds(10));
    }
    const int status = child.KillAndDrain();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child ended on its own with status " << status;
    std::vector<Ack> acks = child.Acks();
    EXPECT_GT(acks.size(), 0u) << "iteration " << i << " acknowledged nothing";
    all_acks.insert(all_acks.end(), acks.begin(), acks.end());
    VerifyStore(store_dir, all_acks);
    if (HasFatalFailure()) return;
    std::printf("iteration %d: %zu acks this run, %zu in all\n", i, acks.size(), all_acks.size());
  }
}

}  // namespace
}  // namespace bdtx::eventstore
