#!/usr/bin/env bash
# The test command: installs packages, builds everything with ASan+UBSan and -Werror,
# checks formatting and runs the whole ctest suite. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup-debian.sh
JOBS="${BDTX_JOBS:-2}"
BUILD_DIR="${BDTX_TEST_BUILD_DIR:-build-asan}"

echo "[test] clang-format check"
files=$(git ls-files '*.cc' '*.h' 2>/dev/null || find common services tests bench -name '*.cc' -o -name '*.h')
if [ -n "$files" ]; then
  # shellcheck disable=SC2086
  clang-format --dry-run -Werror $files
fi

echo "[test] configure + build ($BUILD_DIR, ASan+UBSan, -j$JOBS)"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBDTX_SANITIZE=ON
cmake --build "$BUILD_DIR" -j "$JOBS"

echo "[test] ctest"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
(cd "$BUILD_DIR" && ctest --output-on-failure -j "$JOBS" --timeout 900)

# Every parser of untrusted input under libFuzzer for a short fixed time on its checked-in
# corpus (clang build in build-fuzz; docs/fuzzing.md). BDTX_FUZZ_SECONDS=0 skips it.
if [ "${BDTX_FUZZ_SECONDS:-10}" != "0" ]; then
  echo "[test] fuzz smoke (${BDTX_FUZZ_SECONDS:-10} s per target)"
  bash deploy/fuzz.sh
fi
