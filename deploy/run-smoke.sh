#!/usr/bin/env bash
# The README's run command (deploy/run-local.sh), end to end, as a newcomer runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

# It starts deploy/run-local.sh as a newcomer would (Release build of the binaries, demo
# data, gateway and console on the fixed ports), then checks the console page,
# readiness and a sign-in with the demo password over HTTP. Catches what only an
# optimised build or the script itself breaks. Skipped when 8080 is taken (a local run
# is up), when BDTX_SKIP_RUN_SMOKE=1, or when the steps before took over 30 minutes (the
# CI budget is 45).
if [ "${BDTX_SKIP_RUN_SMOKE:-0}" = 1 ]; then
  echo "[test] run-command smoke skipped (BDTX_SKIP_RUN_SMOKE=1)"
elif (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
  echo "[test] run-command smoke skipped: 127.0.0.1:8080 is in use (a local run?)"
elif [ "${BDTX_ELAPSED_SECONDS:-0}" -gt 1800 ]; then
  echo "[test] run-command smoke skipped: ${BDTX_ELAPSED_SECONDS} s used of the 45-minute budget"
else
  echo "[test] the run command (deploy/run-local.sh) end to end: Release build, demo, sign-in"
  smoke_dir=$(mktemp -d)
  BDTX_RUN_SECONDS=1800 BDTX_DATA_ROOT="$smoke_dir" bash deploy/run-local.sh >"$smoke_dir/run.log" 2>&1 &
  run_pid=$!
  smoke_fail() {
    echo "[test] run-command smoke FAILED: $1"; tail -40 "$smoke_dir/run.log"
    kill -TERM "$run_pid" 2>/dev/null || true; wait "$run_pid" 2>/dev/null || true
    exit 1
  }
  until grep -q '^\[run\] all services up' "$smoke_dir/run.log"; do
    kill -0 "$run_pid" 2>/dev/null || smoke_fail "deploy/run-local.sh exited early"
    sleep 2
  done
  curl -sf http://127.0.0.1:8080/readyz >/dev/null || smoke_fail "/readyz is not ready"
  if [ -d web/console ]; then
    curl -sf http://127.0.0.1:8080/ | grep -qi '<!doctype html' || smoke_fail "no console at /"
  fi
  curl -sf -X POST -H 'Content-Type: application/json' \
    -d '{"username":"gvcc-001@binhphuoc.edu.vn","password":"Bdtx-demo-2026"}' \
    http://127.0.0.1:8080/v1/sessions >/dev/null || smoke_fail "sign-in with the demo password"
  kill -TERM "$run_pid"
  wait "$run_pid" || smoke_fail "deploy/run-local.sh did not stop cleanly"
  grep -q '^\[run\] stopped' "$smoke_dir/run.log" || smoke_fail "services not stopped"
  rm -rf "$smoke_dir"
  echo "[test] run-command smoke passed (${SECONDS} s)"
fi
