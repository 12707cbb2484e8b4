#!/usr/bin/env bash
# Every command bdtxctl's help lists runs: it reads only flags its group defines (an
# undefined flag aborts), fails with a message when no service answers, and help, unknown
# groups, commands and flags give the usage exit code. No servers: every address is a
# closed loopback port, set through BDTX_* so each command sees the values it defines.
# usage: bdtxctl_commands_test.sh PATH_TO_BDTXCTL
set -u
CTL="$1"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

printf '{}\n' >"$TMP/file"
export BDTX_TOKEN=not-a-token BDTX_KEY_FILE="$TMP/auth.key" BDTX_AS=people/x \
  BDTX_ADDR=127.0.0.1:1 BDTX_PLANS=127.0.0.1:1 BDTX_APPROVALS=127.0.0.1:1 \
  BDTX_GRADING=127.0.0.1:1 BDTX_SUPPORT=127.0.0.1:1 BDTX_NOTIFICATIONS=127.0.0.1:1 \
  BDTX_ADDRESS=127.0.0.1:1 BDTX_DIRECTORY=127.0.0.1:1 BDTX_PERSON=people/x \
  BDTX_DOCUMENT=documents/x-2023-m4-plan BDTX_FILE="$TMP/file" BDTX_KIND=people \
  BDTX_START=2023-10-02 BDTX_DEADLINE=2023-12-01 BDTX_DATE=2023-10-02 BDTX_SCORE=8 \
  BDTX_JOB=all BDTX_SERVICE=approvals BDTX_FROM="$TMP/no-backup" BDTX_DATA_DIR="$TMP/data" \
  BDTX_PROVINCES=1 BDTX_LEARNERS=120 BDTX_YEAR=2023 BDTX_MODULE=4 BDTX_EMAIL=true

"$CTL" help >"$TMP/help" 2>&1 || fail "help exited $?"
commands=$(awk '$1 == "bdtxctl" && NF >= 3 { print $2 " " $3 }' "$TMP/help")
count=$(echo "$commands" | wc -l)
[ "$count" -ge 50 ] || fail "help lists only $count commands"
while read -r group command; do
  out="$TMP/out-$count"
  BDTX_OUT="$TMP/out/$group-$command" "$CTL" "$group" "$command" >"$out" 2>&1 </dev/null
  rc=$?
  if [ "$rc" -gt 1 ]; then
    fail "bdtxctl $group $command exited $rc: $(head -c 600 "$out")"
  elif grep -qE "AddressSanitizer|runtime error" "$out"; then
    fail "bdtxctl $group $command: $(head -c 600 "$out")"
  elif [ "$rc" -eq 1 ] && ! grep -q "^bdtxctl: " "$out"; then
    fail "bdtxctl $group $command failed without saying why: $(head -c 600 "$out")"
  fi
done <<<"$commands"
for group in $(echo "$commands" | cut -d' ' -f1 | uniq); do
  "$CTL" "$group" "$(echo "$commands" | grep -m1 "^$group " | cut -d' ' -f2)" --help >/dev/null 2>&1 ||
    fail "bdtxctl $group COMMAND --help exited $?"
done

# The usage exits: no command, unknown group or command (2), unknown flag (1).
"$CTL" >/dev/null 2>&1
[ $? -eq 2 ] || fail "no arguments should exit 2"
"$CTL" nosuch verb >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown group should exit 2"
"$CTL" plans nosuch >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown command should exit 2"
"$CTL" plans get --no-such-flag x 2>"$TMP/err" >/dev/null
[ $? -eq 1 ] && grep -q "unknown flag --no_such_flag" "$TMP/err" || fail "an unknown flag: $(cat "$TMP/err")"
# A flag of another group is not this group's: admin's --from means nothing to plans.
"$CTL" plans get --from x >/dev/null 2>&1
[ $? -eq 1 ] || fail "plans get --from should be an unknown flag"
# Group help lists the group's own flags beside the common ones.
"$CTL" help grading >"$TMP/gh" 2>&1
grep -q -- "--grading" "$TMP/gh" && grep -q -- "--key_file" "$TMP/gh" &&
  ! grep -q -- "--webhook_url" "$TMP/gh" || fail "help grading: $(cat "$TMP/gh")"
# demo generate (no service needed) wrote the province.
[ -n "$(find "$TMP/out/demo-generate" -name people.csv -size +1k)" ] || fail "demo generate wrote no people.csv"

echo "$count commands checked, $failures failures"
[ "$failures" -eq 0 ]
