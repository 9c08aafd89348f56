#!/usr/bin/env bash
# End-to-end test of deploy/local/cluster: up, status, stop/start/kill of
# single nodes, down, and a second up that reuses the recorded addresses.
# Binaries from $STRATA_BIN_DIR (default <repo>/build/release). Exits 77
# (skipped) when there is no strata-router, unless
# STRATA_CLUSTER_TEST_NO_ROUTER=1, which runs the same steps on meta and
# data nodes only (--routers 0).
set -euo pipefail
top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
export STRATA_BIN_DIR=${STRATA_BIN_DIR:-$top/build/release}
cluster=$top/deploy/local/cluster

routers=1
if [ ! -x "$STRATA_BIN_DIR/router/strata-router" ]; then
  if [ "${STRATA_CLUSTER_TEST_NO_ROUTER:-0}" != 1 ]; then
    echo "test_cluster: SKIP: no $STRATA_BIN_DIR/router/strata-router"
    exit 77
  fi
  routers=0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata-cluster-test.XXXXXX")
dir=$tmp/cluster
cleanup() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    echo "test_cluster: FAILED; logs:"
    for log in "$dir"/*/log; do
      [ -f "$log" ] || continue
      echo "--- $log"
      tail -n 30 "$log"
    done
  fi
  "$cluster" down --dir "$dir" >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

fail() {
  echo "test_cluster: FAIL: $*" >&2
  exit 1
}
step() { echo "== $*"; }

# status_of NODE: its STATE column.
status_of() { "$cluster" status --dir "$dir" | awk -v n="$1" '$1 == n { print $2 }'; }
pid_of() { "$cluster" status --dir "$dir" | awk -v n="$1" '$1 == n { print $3 }'; }
expect() { # expect NODE STATE
  local got
  got=$(status_of "$1")
  [ "$got" = "$2" ] || fail "$1 is '$got', expected $2"
}
expect_all() { # expect_all STATE COUNT
  local lines n
  lines=$("$cluster" status --dir "$dir")
  echo "$lines"
  n=$(awk -v s="$1" 'NR > 1 && $2 == s' <<<"$lines" | wc -l)
  [ "$n" -eq "$2" ] || fail "$n nodes $1, expected $2"
  [ "$(awk 'NR > 1' <<<"$lines" | wc -l)" -eq "$2" ] || fail "status lists other than $2 nodes"
}
# addresses: NODE RPC HTTP of every node, for comparing two runs.
addresses() { "$cluster" status --dir "$dir" | awk 'NR > 1 { print $1, $4, $5 }'; }

nodes=$((1 + 2 + routers))

step "up (1 meta, 2 data, $routers router, RF 1, free ports)"
"$cluster" up --dir "$dir" --port 0 --meta 1 --data 2 --routers "$routers" --rf 1
expect_all running "$nodes"
before=$(addresses)
[ -f "$dir/cluster.state" ] || fail "no state file"

step "up again: already running"
out=$("$cluster" up --dir "$dir")
[[ $out == *"already running"* ]] || fail "second up did not say so: $out"

step "up with a conflicting layout is refused"
if "$cluster" up --dir "$dir" --data 3 2>/dev/null; then fail "up --data 3 accepted"; fi

step "stop data-1"
pid=$(pid_of data-1)
"$cluster" stop data-1 --dir "$dir"
expect data-1 stopped
[ ! -d "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ] || fail "data-1 pid $pid still alive"

step "start data-1"
"$cluster" start --dir "$dir" data-1
expect data-1 running

if [ "$routers" = 1 ]; then
  url=$("$cluster" status --dir "$dir" | awk '$1 == "router-1" { print $5 }')
  step "router-1 at $url"
  code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$url/health")
  [ "$code" = 200 ] || fail "/health answered $code"

  step "kill router-1"
  "$cluster" kill router-1 --dir "$dir"
  expect router-1 stopped
  code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$url/health" || true)
  [ "$code" = 000 ] || fail "killed router still answers ($code)"

  step "start router-1"
  "$cluster" start router-1 --dir "$dir"
  expect router-1 running
else
  step "kill meta-1, start meta-1 (no router)"
  "$cluster" kill meta-1 --dir "$dir"
  expect meta-1 stopped
  "$cluster" start meta-1 --dir "$dir"
  expect meta-1 running
fi

step "down"
pids=$("$cluster" status --dir "$dir" | awk 'NR > 1 { print $3 }')
"$cluster" down --dir "$dir"
expect_all stopped "$nodes"
for pid in $pids; do
  if [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$dir"; then
    fail "pid $pid still runs after down"
  fi
done

step "up again: same addresses"
"$cluster" up --dir "$dir" --port 0
expect_all running "$nodes"
after=$(addresses)
[ "$before" = "$after" ] || fail "addresses changed:
$before
---
$after"
ids=$(grep -o 'registered with meta as data node [0-9]*' "$dir/data-1/log" | sort -u | wc -l)
[ "$ids" -eq 1 ] || fail "data-1 registered under $ids node ids, expected 1 (kept in node.id)"

step "down"
"$cluster" down --dir "$dir"
expect_all stopped "$nodes"
echo "test_cluster: OK"
