// Shared pieces of the libFuzzer targets: writing a target's seed corpus from the same
// inputs its unit tests use (BDTX_FUZZ_WRITE_SEEDS=<dir> ./fuzz_x writes them and exits),
// so the checked-in corpus under fuzz/corpus/ can be regenerated when formats change.
#ifndef BDTX_FUZZ_FUZZ_SUPPORT_H_
#define BDTX_FUZZ_FUZZ_SUPPORT_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace bdtx::fuzz {

// When BDTX_FUZZ_WRITE_SEEDS names a directory, writes `seeds` there as seed-0, seed-1,
// ... and exits the process; otherwise does nothing.
inline void MaybeWriteSeeds(const std::vector<std::string>& seeds) {
  const char* dir = std::getenv("BDTX_FUZZ_WRITE_SEEDS");
  if (dir == nullptr) return;
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream out(std::string(dir) + "/seed-" + std::to_string(i), std::ios::binary);
    out << seeds[i];
  }
  std::fprintf(stderr, "wrote %zu seeds to %s\n", seeds.size(), dir);
  std::exit(0);
}

// A property a target checks beyond "no crash": aborts (libFuzzer records the input).
#define BDTX_FUZZ_CHECK(cond)                                                       \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

}  // namespace bdtx::fuzz

#endif  // BDTX_FUZZ_FUZZ_SUPPORT_H_
