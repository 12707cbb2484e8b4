#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan; fuzz/CMakeLists.txt) and runs each on
# its checked-in corpus (fuzz/corpus/<target>) for a fixed time. Any crash, leak, sanitizer
# report or timeout fails (non-zero exit); the reproducer is left in $OUT (printed).
#   BDTX_FUZZ_SECONDS   seconds per target (default 10; CI smoke)
#   BDTX_FUZZ_RUNS      stop each target after this many inputs instead (by hand: 10000000)
#   BDTX_FUZZ_TARGETS   space-separated subset (default: every fuzz_* target)
#   BDTX_FUZZ_BUILD_DIR build directory (default build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BDTX_FUZZ_BUILD_DIR:-build-fuzz}"
JOBS="${BDTX_JOBS:-2}"
SECONDS_EACH="${BDTX_FUZZ_SECONDS:-10}"
TARGETS="${BDTX_FUZZ_TARGETS:-$(ls fuzz/corpus)}"
OUT="$(mktemp -d /tmp/bdtx-fuzz-XXXXXX)"

echo "[fuzz] configure + build ($BUILD_DIR, clang, ASan+UBSan+libFuzzer, -j$JOBS)"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DBDTX_FUZZ=ON >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target fuzz_all

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for target in $TARGETS; do
  mkdir -p "$OUT/$target/new"
  if [ -n "${BDTX_FUZZ_RUNS:-}" ]; then
    limit=(-runs="$BDTX_FUZZ_RUNS")
  else
    limit=(-max_total_time="$SECONDS_EACH")
  fi
  # New inputs go to a scratch directory: the checked-in corpus is only read.
  if "$BUILD_DIR/fuzz/$target" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$OUT/$target/" "$OUT/$target/new" "fuzz/corpus/$target" \
      >"$OUT/$target/log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$OUT/$target/log" | grep -o '[0-9]*$' || true)
    echo "[fuzz] $target: ok, ${runs:-?} inputs"
  else
    echo "[fuzz] $target: FAILED (log and reproducer in $OUT/$target/)"
    tail -40 "$OUT/$target/log"
    status=1
  fi
done
[ "$status" -eq 0 ] && rm -rf "$OUT"
exit "$status"
