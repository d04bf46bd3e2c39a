#!/usr/bin/env bash
# CSV reading: keel::ReadCsv against pandas.read_csv(parse_dates=...),
# DuckDB's read_csv_auto and Polars' readCSV on the same files, generated in
# the run.
#
#   bench/csv_read/run.sh BUILD_DIR
#
# Environment: KEEL_BENCH_MB file size (100), KEEL_BENCH_REPEAT runs per
# measurement, best taken (3), KEEL_BENCH_THREADS Keel's threads (0 = all
# cores). Prints both rows, Keel's memory use, then "ratio pandas/keel"
# (above 1: Keel is faster).
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh" "$@"
mb="${KEEL_BENCH_MB:-100}"
threads="${KEEL_BENCH_THREADS:-0}"

# Two files of about the same size: the issue's target shape (keel datagen:
# ints, 2-decimal floats, 3 low-cardinality strings, RFC 3339 timestamps,
# empty cells) and a harder one (quoted fields with commas, a bool, naive
# timestamps, 6-decimal coordinates).
"$build/keel" datagen fraud --size "${mb}MB" --out "$data/fraud" --progress off >/dev/null
"$bin" --generate "$data/quoted.csv" --mb "$mb"
sync  # the files' write-back would otherwise run during the first reader's timing
echo "$(nproc) cores"
echo "dataset        implementation                     rows   seconds    throughput"

have_pandas=1
/usr/bin/python3 -c 'import pandas' 2>/dev/null || have_pandas=0
root="$(cd "$here/../.." && pwd)"
have_node=1
[[ -d "$root/node_modules/@duckdb/node-api" && -d "$root/node_modules/nodejs-polars" ]] || have_node=0
run() {  # NAME FILE TIME_COLUMN
  "$bin" --read "$2" --name "$1" --repeat "$repeat" --threads "$threads" | tee -a "$data/rows.txt"
  if [[ $have_pandas -eq 1 ]]; then
    /usr/bin/python3 "$here/peer_pandas.py" "$2" "$1" "$3" "$repeat" | tee -a "$data/rows.txt"
  fi
  if [[ $have_node -eq 1 ]]; then
    (cd "$root" && node "$here/peer_node.mjs" "$2" "$1" "$repeat") | tee -a "$data/rows.txt"
  fi
}
run transactions "$data/fraud/transactions.csv" event_time
run quoted_mixed "$data/quoted.csv" ts

[[ $have_pandas -eq 1 ]] || echo "peer pandas: skipped, python3-pandas is missing (make deps)"
[[ $have_node -eq 1 ]] || echo "peers duckdb, polars: skipped, node_modules lacks them (make deps)"
# Ratios above 1: Keel is faster than that peer.
awk '$3 == "ReadCsv" { keel[$1] = $5; next } NF >= 6 && $1 != "dataset" { peer[$1 " " $2] = $5 }
  END { for (k in peer) { split(k, p, " "); if (keel[p[1]] > 0 && peer[k] > 0)
          printf "ratio %s %s/keel %.2f\n", p[1], p[2], peer[k] / keel[p[1]] } }' "$data/rows.txt" | sort
