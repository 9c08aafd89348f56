#!/usr/bin/env bash
# The HTTP conformance suites against a real local cluster: replays what
# InfluxDB 1.6 answered (test_http_influxdb.py, with a second router started
# with --auth) and runs Debian's python3-influxdb client (test_influxdb_python.py).
#
#   run_http_conformance.sh    (STRATA_BIN_DIR: build directory, default build/release)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export STRATA_BIN_DIR=${STRATA_BIN_DIR:-$top/build/release}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata-conformance.XXXXXX")
auth_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  [ -n "$auth_pid" ] && kill "$auth_pid" 2>/dev/null && wait "$auth_pid" 2>/dev/null
  "$top/deploy/local/cluster" down --dir "$tmp/cluster" >/dev/null 2>&1 || true
  if [ "${ST_KEEP_TMP:-}" = "" ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap cleanup EXIT

# The body limit the recording was made with (its header line).
max_body=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["meta"]["max_body_size"])' \
  "$here/influxdb16_http.jsonl")
STRATA_ROUTER_ARGS="--max-body-bytes $max_body" "$top/deploy/local/cluster" up --dir "$tmp/cluster" \
  --port 0 --meta 1 --data 2 --routers 1 --rf 1 >"$tmp/up.log" 2>&1 || {
  cat "$tmp/up.log"
  exit 1
}
state="$tmp/cluster/cluster.state"
meta=$(sed -n 's/^meta-1.rpc=//p' "$state")
url="http://$(sed -n 's/^router-1.http=//p' "$state")"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$STRATA_BIN_DIR/router/strata-router" --meta "$meta" --http "127.0.0.1:$port" --dir "$tmp/auth-router" \
  --auth --max-body-bytes "$max_body" --ready-file "$tmp/auth.ready" >"$tmp/auth-router.log" 2>&1 &
auth_pid=$!
for _ in $(seq 1 200); do [ -f "$tmp/auth.ready" ] && break; sleep 0.1; done
[ -f "$tmp/auth.ready" ] || { cat "$tmp/auth-router.log"; exit 1; }
auth_url=$(cat "$tmp/auth.ready")

rc=0
python3 "$here/test_http_influxdb.py" "$url" --auth-url "$auth_url" || rc=1
python3 "$here/test_influxdb_python.py" "$url" || rc=1
if [ $rc -ne 0 ]; then
  for f in "$tmp"/cluster/*/log "$tmp/auth-router.log"; do echo "--- $f"; tail -20 "$f"; done
fi
exit $rc
