#!/usr/bin/env bash
# Offline point-in-time join: keel::features::PointInTimeJoin against pandas
# merge_asof, Polars' joinAsof and DuckDB's ASOF LEFT JOIN (including the
# sorts they need) on the same generated data: 1M entity rows (user, at) with
# 10M feature rows (user, ts, created, f1, v), 100k users (10% of entity users
# unknown), TTL 7 days, ties by created. pandas generates the data itself
# (the same splitmix64 generator as bench_pit_join); the Node peers
# (peer_node.mjs, one process each) read the tables that bench_pit_join
# --write puts in Parquet files, not timed.
#
#   bench/pit_join/run.sh BUILD_DIR
#
# Environment: KEEL_BENCH_ENTITIES (1000000), KEEL_BENCH_FEATURES (10000000),
# KEEL_BENCH_REPEAT runs, best taken (3). Each side runs in its own process
# and prints "name implementation entities features seconds peak_rss_mb
# matched v_sum" (peak RSS includes that side's copy of the data); then the
# checksums are compared with Keel's (a peer that differs prints MISMATCH,
# gets no ratio, and the script fails) and the "ratio" lines printed per peer:
# peer time / Keel time (above 1: Keel faster) and Keel peak RSS / peer peak
# RSS. duckdb joins on ts alone (it checks that no (user, ts) repeats, where
# that form would pick any row); duckdb_tiebreak orders by (ts, created,
# position) as Keel does, ties or not.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh" "$@"
n="${KEEL_BENCH_ENTITIES:-1000000}"
m="${KEEL_BENCH_FEATURES:-10000000}"

echo "name     implementation entities features seconds peak_rss_mb matched v_sum"
"$bin" --entities "$n" --features "$m" --repeat "$repeat" | tee "$data/rows.txt"

if /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
  /usr/bin/python3 "$here/peer_pandas.py" "$n" "$m" "$repeat" | tee -a "$data/rows.txt"
  /usr/bin/python3 -c 'import pandas; print("peer: pandas", pandas.__version__, "(merge_asof + sort_values)")'
else
  echo "peer pandas: skipped, python3-pandas is not installed (apt-get install python3-pandas)"
fi

failed=0
root="$(cd "$here/../.." && pwd)"
if [[ -d "$root/node_modules/@duckdb/node-api" && -d "$root/node_modules/nodejs-polars" ]]; then
  "$bin" --entities "$n" --features "$m" --write "$data"
  for peer in polars duckdb duckdb_tiebreak; do
    (cd "$root" && node "$here/peer_node.mjs" "$peer" "$data" "$n" "$m" "$repeat") | tee -a "$data/rows.txt" ||
      { echo "peer $peer: failed"; failed=1; }
  done
  (cd "$root" && node -e 'const v = (p) => require(p + "/package.json").version;
    console.log("peers: nodejs-polars", v("nodejs-polars"), "(joinAsof + sort), @duckdb/node-api",
                v("@duckdb/node-api"), "(ASOF LEFT JOIN), node", process.versions.node)')
else
  echo "peers polars, duckdb: skipped, node_modules lacks them (make deps)"
fi

awk '{ t[$2] = $5; rss[$2] = $6; sum[$2] = $7 " " $8; if ($2 != "keel") peers[++np] = $2 }
  END {
    bad = 0
    for (i = 1; i <= np; ++i) {
      p = peers[i]
      if (sum[p] != sum["keel"]) {
        printf "MISMATCH: keel matched/v_sum %s, %s %s\n", sum["keel"], p, sum[p]; bad = 1; continue }
      printf "ratio time %s/keel %.1f\n", p, t[p] / t["keel"]
      printf "ratio peak_rss keel/%s %.2f\n", p, rss["keel"] / rss[p]
    }
    exit bad }' "$data/rows.txt" && exit "$failed"
