#!/usr/bin/env bash
# The differential /query test (test_query_influxdb.py) against a real local
# cluster: 1 meta, 3 data nodes, 1 router, replication factor 2, so queries
# merge partial results across nodes and shards. The script starts its own
# InfluxDB (influxd from PATH; deploy/setup installs it) and compares.
#
#   run_query_conformance.sh [test_query_influxdb.py options: -k SUBSTRING, -v, --keep]
#   (STRATA_BIN_DIR: build directory, default build/release; ST_KEEP_TMP=1 keeps the cluster)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export STRATA_BIN_DIR=${STRATA_BIN_DIR:-$top/build/release}
command -v influxd >/dev/null || {
  echo "influxd not found: install the influxdb package (deploy/setup does)" >&2
  exit 1
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata-queryconf.XXXXXX")
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  "$top/deploy/local/cluster" down --dir "$tmp/cluster" >/dev/null 2>&1 || true
  if [ "${ST_KEEP_TMP:-}" = "" ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap cleanup EXIT

"$top/deploy/local/cluster" up --dir "$tmp/cluster" \
  --port 0 --meta 1 --data 3 --routers 1 --rf 2 >"$tmp/up.log" 2>&1 || {
  cat "$tmp/up.log"
  exit 1
}
url="http://$(sed -n 's/^router-1.http=//p' "$tmp/cluster/cluster.state")"

rc=0
python3 "$here/test_query_influxdb.py" "$url" "$@" || rc=$?
if [ $rc -ne 0 ]; then
  for f in "$tmp"/cluster/*/log; do echo "--- $f"; tail -20 "$f"; done
fi
exit $rc
