#!/usr/bin/env bash
# Offline point-in-time join: keel::features::PointInTimeJoin against pandas
# merge_asof (including the sorts it needs) on the same generated data: 1M
# entity rows (user, at) with 10M feature rows (user, ts, created, f1, v),
# 100k users (10% of entity users unknown), TTL 7 days, ties by created.
#
#   bench/pit_join/run.sh BUILD_DIR
#
# Environment: KEEL_BENCH_ENTITIES (1000000), KEEL_BENCH_FEATURES (10000000),
# KEEL_BENCH_REPEAT runs, best taken (3). Each side runs in its own process
# and prints "name implementation entities features seconds peak_rss_mb
# matched v_sum" (peak RSS includes that side's copy of the data); then the
# checksums are compared and the "ratio" lines printed: pandas time / Keel
# time (above 1: Keel faster) and Keel peak RSS / pandas peak RSS.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh" "$@"
n="${KEEL_BENCH_ENTITIES:-1000000}"
m="${KEEL_BENCH_FEATURES:-10000000}"

echo "name     implementation entities features seconds peak_rss_mb matched v_sum"
"$bin" --entities "$n" --features "$m" --repeat "$repeat" | tee "$data/rows.txt"

if ! /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
  echo "peer pandas: skipped, python3-pandas is not installed (apt-get install python3-pandas)"
  exit 0
fi
/usr/bin/python3 "$here/peer_pandas.py" "$n" "$m" "$repeat" | tee -a "$data/rows.txt"
/usr/bin/python3 -c 'import pandas; print("peer: pandas", pandas.__version__, "(merge_asof + sort_values)")'

awk '{ row[$2] = $0; t[$2] = $5; rss[$2] = $6; sum[$2] = $7 " " $8 }
  END {
    if (sum["keel"] != sum["pandas"]) {
      printf "MISMATCH: keel matched/v_sum %s, pandas %s\n", sum["keel"], sum["pandas"]; exit 1 }
    printf "ratio time pandas/keel %.1f\n", t["pandas"] / t["keel"]
    printf "ratio peak_rss keel/pandas %.2f\n", rss["keel"] / rss["pandas"] }' "$data/rows.txt"
