// Child process of event_store_crash_test: appends forever from several threads and
// reports each acknowledged append on stdout, until it is killed with SIGKILL.
//
// Usage: event_store_crash_child <store-dir> <run-id> [threads] [streams]
// Each append is one command: 3 events plus a read-model key "head/<stream>" holding
// the stream's new version, so a half-written command is detectable.
// Output: "READY\n", then one "ACK <stream> <first_version> <first_position> <id>\n"
// per acknowledged append, written with a single write(2) after Append returned.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "google/protobuf/wrappers.pb.h"

using bdtx::eventstore::AppendRequest;
using bdtx::eventstore::RocksDbEventStore;

namespace {

void WriteLine(const std::string& line) {
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = write(STDOUT_FILENO, data, left);
    if (n <= 0) std::_Exit(3);
    data += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <store-dir> <run-id> [threads] [streams]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const std::string run = argv[2];
  const int threads = argc > 3 ? std::atoi(argv[3]) : 8;
  const int streams = argc > 4 ? std::atoi(argv[4]) : 40;

  auto store = RocksDbEventStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "open failed: %s\n", store.status().ToString().c_str());
    return 1;
  }
  WriteLine("READY\n");
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) * 7919u + static_cast<unsigned>(getpid()));
      for (long i = 0;; ++i) {
        const std::string stream = absl::StrCat("documents/", rng() % streams);
        const std::string id = absl::StrCat(run, "-", t, "-", i);
        while (true) {
          auto version = (*store)->StreamVersion(stream);
          if (!version.ok()) std::_Exit(4);
          AppendRequest req;
          req.stream = stream;
          req.expected_version = *version;
          req.request_id = id;
          for (int e = 0; e < 3; ++e) {
            google::protobuf::StringValue payload;
            payload.set_value(absl::StrCat(id, "#", e));
            req.events.push_back(bdtx::eventstore::MakeEvent(payload, "people/crash", absl::Now()));
          }
          req.read_model_writes.push_back(
              {absl::StrCat("head/", stream), absl::StrCat(*version + 3)});
          auto result = (*store)->Append(std::move(req));
          if (result.ok()) {
            WriteLine(absl::StrCat("ACK ", stream, " ", result->first_version, " ",
                                   result->first_position, " ", id, "\n"));
            break;
          }
          if (result.status().code() != absl::StatusCode::kAborted) {
            std::fprintf(stderr, "append failed: %s\n", result.status().ToString().c_str());
            std::_Exit(5);
          }
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  return 0;
}
