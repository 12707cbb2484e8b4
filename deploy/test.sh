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

echo "[test] npm ci (k8s/check: Kubernetes schemas, TypeScript, YAML)"
npm ci --prefix k8s/check --no-audit --no-fund --loglevel=error
echo "[test] npm ci (gRPC-Web client and OpenAPI checks in tests/web)"
(cd tests/web && npm ci --no-audit --no-fund)

echo "[test] npm ci + build of the web console (web/console; its API client is generated"
echo "       from this build's openapi.json; the browser test in ctest serves dist/)"
OPENAPI_JSON="$(cd "$BUILD_DIR" && pwd)/services/gateway/openapi.json"
(cd web/console && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error &&
  BDTX_OPENAPI_PATH="$OPENAPI_JSON" npm run build)

echo "[test] ctest"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 900

# Second step: ThreadSanitizer (clang, -Wthread-safety) on the event store, where the
# committer's threads meet (conformance, RocksDB and kill -9 crash tests). Only these
# targets are built (CI budget: 45 minutes on 2 cores). Not the e2e tests: with Debian's
# gRPC not built for TSan, its completion-queue hand-offs are invisible and every call
# is reported (ADR 019). BDTX_SKIP_TSAN=1 skips the step locally.
if [ "${BDTX_SKIP_TSAN:-0}" != 1 ]; then
  TSAN_DIR="${BDTX_TSAN_BUILD_DIR:-build-tsan}"
  TSAN_TESTS=(event_store_conformance_test rocksdb_event_store_test event_store_crash_test)
  echo "[test] configure + build ($TSAN_DIR, clang ThreadSanitizer, -j$JOBS)"
  CXX=clang++ cmake -S . -B "$TSAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBDTX_TSAN=ON \
    -DBDTX_BUILD_BENCHMARKS=OFF
  cmake --build "$TSAN_DIR" -j "$JOBS" --target "${TSAN_TESTS[@]}"
  echo "[test] ctest under ThreadSanitizer"
  regex="^($(IFS='|'; echo "${TSAN_TESTS[*]}"))\$"
  TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/deploy/tsan.supp}" \
    ctest --test-dir "$TSAN_DIR" --output-on-failure -j "$JOBS" --timeout 900 -R "$regex"
fi

# Every parser of untrusted input under libFuzzer for a short fixed time on its checked-in
# corpus (clang build in build-fuzz; docs/fuzzing.md). BDTX_FUZZ_SECONDS=0 skips it.
if [ "${BDTX_FUZZ_SECONDS:-10}" != "0" ]; then
  echo "[test] fuzz smoke (${BDTX_FUZZ_SECONDS:-10} s per target)"
  bash deploy/fuzz.sh
fi

# Last: the README's run command end to end (deploy/run-smoke.sh says what it checks).
BDTX_ELAPSED_SECONDS=$SECONDS bash deploy/run-smoke.sh
