#!/usr/bin/env bash
# The run command: installs packages, builds the services (optimised), loads the demo
# province and starts every service on loopback, printing where each listens.
# Ctrl-C (or SIGTERM) stops them all gracefully. Data lives under ./data/<service>.
#
# Environment: BDTX_JOBS (build parallelism, default 2), BDTX_DATA_ROOT (default ./data),
# BDTX_RUN_SECONDS (stop by itself after N seconds; default: run until Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
bash deploy/setup-debian.sh
JOBS="${BDTX_JOBS:-2}"
BUILD_DIR="${BDTX_RUN_BUILD_DIR:-build-release}"
DATA_ROOT="${BDTX_DATA_ROOT:-$ROOT/data}"
LOG_DIR="$DATA_ROOT/logs"

# name:port of every service that exists so far, in start order.
SERVICES=()
[ -d services/directory ] && SERVICES+=("directory:7101")
[ -d services/approvals ] && SERVICES+=("approvals:7103")
[ -d services/grading ] && SERVICES+=("grading:7104")
[ -d services/support ] && SERVICES+=("support:7106")
[ -d services/plans ] && SERVICES+=("plans:7102")
[ -d services/notifications ] && SERVICES+=("notifications:7105")
[ -d services/gateway ] && SERVICES+=("gateway:8080")

echo "[run] building (${BUILD_DIR}, -j${JOBS})"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBDTX_BUILD_BENCHMARKS=OFF >/dev/null
# Only what runs (the services, the gateway, its OpenAPI document and bdtxctl): the tests
# are the test command's business, and building them too would double the wait.
TARGETS=(bdtxctl)
for entry in "${SERVICES[@]}"; do TARGETS+=("bdtx-${entry%%:*}"); done
[ -d services/gateway ] && TARGETS+=(gateway_openapi)
cmake --build "$BUILD_DIR" -j "$JOBS" --target "${TARGETS[@]}"
# The API viewer served at the gateway's /docs (swagger-ui-dist from npm, pinned).
(cd tests/web && npm ci --no-audit --no-fund --silent) || echo "[run] npm ci failed: /docs disabled"
# The web console (web/console, ADR 021): its API client is generated from this build's
# OpenAPI document; the gateway serves dist/ at /.
OPENAPI_JSON="$(cd "$BUILD_DIR" && pwd)/services/gateway/openapi.json"
(cd web/console && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --silent &&
  BDTX_OPENAPI_PATH="$OPENAPI_JSON" npm run build --silent >/dev/null) ||
  echo "[run] building the web console failed: / disabled"

mkdir -p "$LOG_DIR"
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "[run] stopped"
}
trap stop_all EXIT
trap 'exit 0' INT TERM

if [ ${#SERVICES[@]} -eq 0 ]; then
  echo "[run] no services exist yet; only the foundation is built"
  exit 0
fi

for entry in "${SERVICES[@]}"; do
  name=${entry%%:*}
  port=${entry##*:}
  bin="$BUILD_DIR/services/$name/bdtx-$name"
  extra=()
  case "$name" in approvals | grading | plans | notifications | support) extra+=(--directory=127.0.0.1:7101) ;; esac
  case "$name" in plans | notifications) [ -d services/support ] && extra+=(--support=127.0.0.1:7106) ;; esac
  case "$name" in plans | notifications) extra+=(--approvals=127.0.0.1:7103 --grading=127.0.0.1:7104) ;; esac
  # Campaign deadlines of the demo (docs/console.md): 2021's from seed 001, and module 4 of
  # 2023 (the demo year) already past, so "late" shows on its documents.
  case "$name" in approvals | notifications) extra+=(--deadlines="${BDTX_DEADLINES:-2021=2022-02-28T23:59:59+07:00,2023:4=2024-05-31T23:59:59+07:00}") ;; esac
  # E-mail only when a relay is given (BDTX_SMTP=host:port); the inbox always works.
  [ "$name" = notifications ] && [ -n "${BDTX_SMTP:-}" ] && extra+=(--smtp="$BDTX_SMTP")
  if [ "$name" = gateway ]; then
    # Stateless: no data dir, no key (the services check the tokens it forwards).
    docs=()
    [ -d tests/web/node_modules/swagger-ui-dist ] && docs+=(--docs_dir="$ROOT/tests/web/node_modules/swagger-ui-dist")
    [ -f web/console/dist/index.html ] && docs+=(--console_dir="$ROOT/web/console/dist")
    backends=(--directory=127.0.0.1:7101 --plans=127.0.0.1:7102 --approvals=127.0.0.1:7103
      --grading=127.0.0.1:7104 --notifications=127.0.0.1:7105)
    [ -d services/support ] && backends+=(--support=127.0.0.1:7106)
    "$bin" --listen="127.0.0.1:$port" "${backends[@]}" "${docs[@]}" >"$LOG_DIR/$name.log" 2>&1 &
  else
    "$bin" --listen="127.0.0.1:$port" --data_dir="$DATA_ROOT/$name" \
      --auth_key_file="$DATA_ROOT/auth.key" "${extra[@]}" >"$LOG_DIR/$name.log" 2>&1 &
  fi
  pids+=($!)
  for _ in $(seq 1 100); do
    grep -q '"msg":"listening"' "$LOG_DIR/$name.log" && break
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "[run] $name failed to start:"; cat "$LOG_DIR/$name.log"; exit 1
    fi
    sleep 0.1
  done
  if [ "$name" = gateway ]; then
    echo "[run] gateway listening on http://127.0.0.1:$port (REST/JSON, gRPC-Web, /openapi.json, /docs); log: $LOG_DIR/$name.log"
    [ -f web/console/dist/index.html ] && echo "[run] web console: http://127.0.0.1:$port/"
  else
    echo "[run] $name listening on 127.0.0.1:$port (gRPC, health + reflection); log: $LOG_DIR/$name.log"
  fi
done
CTL="$BUILD_DIR/services/bdtxctl/bdtxctl"
echo "[run] loading the demo province (Bình Phước 2023; importing again changes nothing)"
"$CTL" demo load --out "$DATA_ROOT/demo" --addr 127.0.0.1:7101 --key-file "$DATA_ROOT/auth.key"
echo "[run] example: where does core teacher gvcc-001's module-4 plan go?"
"$CTL" directory route --author people/gvcc-001 --year 2023 --module 4 \
  --addr 127.0.0.1:7101 --key-file "$DATA_ROOT/auth.key"
K=(--key-file "$DATA_ROOT/auth.key")
DOC=documents/gvcc-001-2023-m4-plan
PRINCIPAL=people/ht-thcs-dong-xoai-1
echo "[run] demo plan: gvcc-001 creates the module-4 plan (Appendix 1, pre-filled from the"
echo "      directory), submits it through plans (its sha256 goes to approvals), the lecturer approves"
if "$CTL" approvals get --as people/gvcc-001 --document "$DOC" "${K[@]}" | grep -q '"DRAFT"'; then
  "$CTL" plans create --as people/gvcc-001 --year 2023 --module 4 --request_id demo-plan "${K[@]}" \
    | grep -E '"authorName"|"school"' | head -2
  "$CTL" plans submit --as people/gvcc-001 --document "$DOC" --request_id demo-plan-submit "${K[@]}" \
    | grep -E '"approvalState"|"contentSha256"' | head -2
  "$CTL" approvals approve --as people/gvsp-01 --document "$DOC" --comment "Đạt" "${K[@]}" >/dev/null
fi
echo "[run] the principal's inbox now holds it (seed 001: the signer is told at once):"
"$CTL" approvals inbox --as "$PRINCIPAL" "${K[@]}" | grep -E '"name"|"state"' | head -4 ||
  echo "      (empty: signed off by an earlier run)"
echo "[run] demo grading: LMS history (modules 1-3), the Sở enrols class lop-2023-m4-001,"
echo "      learner hv-00001 submits, grader gvcc-001 grades (retries change nothing)"
"$CTL" grading import-lms --as people/so-cv-1 --file "$DATA_ROOT/demo/lms-prior.csv" "${K[@]}" \
  | grep -E '"rows"|"alreadyImported"' || true
"$CTL" grading enroll --as people/so-cv-1 --class classes/lop-2023-m4-001 \
  --start "$(TZ=Asia/Ho_Chi_Minh date -d '3 days ago' +%F)" --request_id demo-enrol "${K[@]}" \
  | grep -E '"learners"|"gradingDeadline"' -A3 | head -5
echo "bài cuối khoá (demo)" > "$DATA_ROOT/demo/final-hv-00001.txt"
"$CTL" grading submit --as people/hv-00001 --class classes/lop-2023-m4-001 \
  --file "$DATA_ROOT/demo/final-hv-00001.txt" --request_id demo-submit "${K[@]}" >/dev/null
"$CTL" grading grade --as people/gvcc-001 --assignment classes/lop-2023-m4-001/assignments/hv-00001 \
  --verdict pass --score 8 --request_id demo-grade "${K[@]}" | grep -E '"verdict"'
echo "[run] the principal prints the plan (HTML, A4), signs, stamps, scans and uploads it, then"
echo "      signs off SCANNED with the scan's sha256"
"$CTL" plans render --as "$PRINCIPAL" --document "$DOC" --out "$DATA_ROOT/demo/plan-gvcc-001.html" "${K[@]}"
if "$CTL" approvals get --as "$PRINCIPAL" --document "$DOC" "${K[@]}" | grep -q '"LECTURER_APPROVED"'; then
  printf '%%PDF-1.4\n%% demo scan of the signed and stamped plan of gvcc-001\n%%%%EOF\n' \
    >"$DATA_ROOT/demo/plan-gvcc-001-signed.pdf"
  ATT=$("$CTL" plans upload --as "$PRINCIPAL" --document "$DOC" \
    --file "$DATA_ROOT/demo/plan-gvcc-001-signed.pdf" "${K[@]}" 2>/dev/null)
  SHA=$(echo "$ATT" | sed -n 's/.*"sha256": "\([0-9a-f]*\)".*/\1/p')
  RECEIPT=$(echo "$ATT" | sed -n 's/.*"receipt": "\([0-9a-f]*\)".*/\1/p')
  "$CTL" approvals sign-off --as "$PRINCIPAL" --document "$DOC" --method scanned \
    --evidence-sha256 "$SHA" --evidence-ref "$DOC/attachments/$SHA" \
    --evidence-receipt "$RECEIPT" "${K[@]}" | grep -E '"state"'
fi
echo "[run] demo peer support: two colleagues of gvcc-001 ask questions (module 4), gvcc-001"
echo "      answers one, escalates the other to the lecturer, who answers; one activity (row 2.3) is logged"
COLLEAGUES=($(grep '^2023,4,support,gvcc-001,' "$DATA_ROOT/demo/assignments.csv" | head -3 | cut -d, -f5))
if [ ${#COLLEAGUES[@]} -ge 2 ]; then
  Q1=$("$CTL" support ask --as "people/${COLLEAGUES[0]}" --year 2023 --module 4 --channel lms_forum \
    --text "Kế hoạch bài dạy theo chủ đề cần những mục nào?" --request_id demo-q1 "${K[@]}" |
    grep -m1 '"name"' | cut -d'"' -f4)
  Q2=$("$CTL" support ask --as "people/${COLLEAGUES[1]}" --year 2023 --module 4 --channel chat \
    --text "Đánh giá năng lực học sinh trong kế hoạch giáo dục thế nào?" --request_id demo-q2 "${K[@]}" |
    grep -m1 '"name"' | cut -d'"' -f4)
  "$CTL" support answer --as people/gvcc-001 --question "$Q1" --request_id demo-a1 \
    --text "Xem mục 2 của tài liệu mô-đun 4 và mẫu kế hoạch đính kèm." "${K[@]}" | grep -E '"state"' || true
  "$CTL" support escalate --as people/gvcc-001 --question "$Q2" --request_id demo-e2 \
    --text "Câu hỏi về đánh giá năng lực, nhờ giảng viên trả lời." "${K[@]}" | grep -E '"state"|"lecturer"' || true
  LECTURER=$("$CTL" support get --as people/gvcc-001 --question "$Q2" "${K[@]}" | grep -m1 '"lecturer"' | cut -d'"' -f4)
  "$CTL" support answer --as "$LECTURER" --question "$Q2" --request_id demo-a2 \
    --text "Dùng bảng kiểm và rubric theo năng lực đặc thù của môn." "${K[@]}" | grep -E '"state"' || true
  "$CTL" support log --as people/gvcc-001 --year 2023 --module 4 --row 2.3 --date "$(date +%Y-%m-%d)" \
    --form "Sinh hoạt chuyên môn cụm trường" --participants "people/${COLLEAGUES[0]},people/${COLLEAGUES[1]}" \
    --request_id demo-log1 "${K[@]}" | grep -E '"name"' | head -1 || true
  "$CTL" support counts --as people/gvcc-001 --learner people/gvcc-001 --year 2023 --module 4 "${K[@]}" |
    grep -E '"number"|"participants"|"questions"|InWeek"' | head -12 || true
fi
echo "[run] demo report: gvcc-001's module-4 report with counts from grading (rows 1.2 ... 5.1) and support (2.1-2.3)"
"$CTL" plans create --as people/gvcc-001 --year 2023 --module 4 --kind report \
  --request_id demo-report "${K[@]}" | grep -E '"number"|"count"|"base"|"source"|"asked"' | head -32 || true
echo "[run] certificate eligibility of gvcc-001 for 2023:"
"$CTL" plans eligibility --as people/gvcc-001 --year 2023 "${K[@]}" | grep -E '"eligible"|"missing"' -A1 | head -6 || true
echo "[run] notifications (from the approvals and grading streams): the principal's and gvcc-001's inbox"
for _ in $(seq 1 50); do
  "$CTL" notifications status "${K[@]}" 2>/dev/null | grep -q '"connected": true' && break
  sleep 0.2
done
sleep 1
"$CTL" notifications inbox --as "$PRINCIPAL" "${K[@]}" | grep -E '"title"' | head -3 || true
"$CTL" notifications inbox --as people/gvcc-001 "${K[@]}" | grep -E '"title"' | head -3 || true
DEMO_PASSWORD="Bdtx-demo-2026"
if [ -d services/gateway ]; then
  echo "[run] sign-in: the operator issues gvcc-001 a one-time activation code; gvcc-001 sets the"
  echo "      demo password $DEMO_PASSWORD with it (each run issues a new code and sets it again)"
  CODE=$("$CTL" auth activation-code --person people/gvcc-001 --key-file "$DATA_ROOT/auth.key" |
    sed -n 's/.*"code": "\([A-Z0-9-]*\)".*/\1/p')
  curl -sf -X POST -H 'Content-Type: application/json' \
    -d "{\"username\":\"gvcc-001@binhphuoc.edu.vn\",\"activationCode\":\"$CODE\",\"newPassword\":\"$DEMO_PASSWORD\"}" \
    http://127.0.0.1:8080/v1/accounts:activate >/dev/null && echo "      done: sign in as below" ||
    echo "      activation failed (see $LOG_DIR/directory.log)"
fi
cat <<EOT
[run] sign in (people never mint tokens): gvcc-001@binhphuoc.edu.vn (or its person code) with
      password $DEMO_PASSWORD; anyone else first gets an activation code from the operator:
  curl -X POST -H 'Content-Type: application/json' -d '{"username":"gvcc-001@binhphuoc.edu.vn","password":"$DEMO_PASSWORD"}' http://127.0.0.1:8080/v1/sessions
  $CTL auth activation-code --person people/gvsp-01 --key-file $DATA_ROOT/auth.key
  curl -X POST -H 'Content-Type: application/json' -d '{"username":"gvsp-01@binhphuoc.edu.vn","activationCode":"CODE","newPassword":"a-password-of-10+"}' http://127.0.0.1:8080/v1/accounts:activate
[run] all services up; the gateway (HTTP/JSON, gRPC-Web) is at http://127.0.0.1:8080
[run] web console: http://127.0.0.1:8080/ (sign in as gvcc-001@binhphuoc.edu.vn, password $DEMO_PASSWORD)
      (API document: http://127.0.0.1:8080/openapi.json, viewer: http://127.0.0.1:8080/docs).
      Ctrl-C to stop. Try:
  TOKEN=\$($CTL token mint --person people/gvcc-001 --directory 127.0.0.1:7101 --key-file $DATA_ROOT/auth.key)
  curl -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:8080/v1/documents/gvcc-001-2023-m4-plan
  curl -H "Authorization: Bearer \$TOKEN" 'http://127.0.0.1:8080/v1/notifications?pageSize=5'
  curl -N -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:8080/v1/notifications:watch   # SSE
  $CTL grading stats --as people/so-cv-1 --unit classes/lop-2023-m4-001 --key-file $DATA_ROOT/auth.key
  $CTL grading export --as people/so-cv-1 --unit units/so-bp --year 2023 --format temis --key-file $DATA_ROOT/auth.key
  $CTL plans get --as people/gvcc-001 --document documents/gvcc-001-2023-m4-report --key-file $DATA_ROOT/auth.key
  $CTL plans list --as people/so-cv-1 --unit units/so-bp --year 2023 --key-file $DATA_ROOT/auth.key
  $CTL plans eligibility --as people/so-cv-1 --unit units/so-bp --year 2023 --key-file $DATA_ROOT/auth.key
  $CTL support list --as people/gvcc-001 --view supported_by_me --key-file $DATA_ROOT/auth.key
  $CTL support stats --as people/so-cv-1 --unit units/so-bp --year 2023 --module 4 --children true --key-file $DATA_ROOT/auth.key
  xdg-open $DATA_ROOT/demo/plan-gvcc-001.html   # the printable Appendix 1
  $CTL notifications watch --as people/gvsp-01 --key-file $DATA_ROOT/auth.key   # live inbox
  $CTL notifications status --key-file $DATA_ROOT/auth.key
  $CTL approvals verify --as people/gvcc-001 --document $DOC --key-file $DATA_ROOT/auth.key
  $CTL token mint --person people/gvcc-001 --directory 127.0.0.1:7101 --key-file $DATA_ROOT/auth.key
  $CTL directory route --author people/cbqlcc-005 --year 2023 --module 9 --key-file $DATA_ROOT/auth.key
  $CTL directory export --kind units --key-file $DATA_ROOT/auth.key | head
EOT
if [ -n "${BDTX_RUN_SECONDS:-}" ]; then
  # In the background and waited for: a TERM stops everything now, not after the sleep.
  sleep "$BDTX_RUN_SECONDS" &
  wait $!
else
  wait
fi
