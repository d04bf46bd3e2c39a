#!/usr/bin/env bash
# Timestamp parsing: keel::TryParseTimestamp against pandas.to_datetime on the
# same generated strings (RFC 3339 with fractions and offsets; naive
# "YYYY-MM-DD HH:MM:SS").
#
#   bench/timestamp_parse/run.sh BUILD_DIR
#
# Environment: KEEL_BENCH_N strings per dataset (5000000), KEEL_BENCH_REPEAT
# runs per measurement, best taken (3). Prints the rows of both sides, pandas'
# agreement with Keel, then one "ratio" line per dataset: pandas time / Keel
# time (TryParseTimestamp, UTC; above 1: Keel is faster).
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh" "$@"
n="${KEEL_BENCH_N:-5000000}"

echo "dataset          implementation                     n   seconds    per value"
"$bin" --n "$n" --repeat "$repeat" --out "$data" | tee "$data/rows.txt"

if ! /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
  echo "peer pandas: skipped, python3-pandas is not installed (apt-get install python3-pandas)"
  exit 0
fi
/usr/bin/python3 "$here/peer_pandas.py" "$data" "$repeat" | tee -a "$data/rows.txt"
/usr/bin/python3 -c 'import pandas; print("peer: pandas", pandas.__version__, "(to_datetime, one thread)")'

# Ratios from the ns/value column (same n on both sides; more digits than seconds).
awk '$2 == "keel" { keel[$1] = $6 } $2 == "pandas" { peer[$1] = $6; order[++k] = $1 }
  END { for (i = 1; i <= k; ++i) { d = order[i]
          if (keel[d] > 0) printf "ratio %s pandas/keel %.1f\n", d, peer[d] / keel[d] } }' \
  "$data/rows.txt"
