#!/usr/bin/env bash
# CSV reading: keel::ReadCsv against pandas.read_csv(parse_dates=...) on the
# same files, generated in the run.
#
#   bench/csv_read/run.sh BUILD_DIR
#
# Environment: KEEL_BENCH_MB file size (100), KEEL_BENCH_REPEAT runs per
# measurement, best taken (3), KEEL_BENCH_THREADS Keel's threads (0 = all
# cores). Prints both rows, Keel's memory use, then "ratio pandas/keel"
# (above 1: Keel is faster).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)"
mb="${KEEL_BENCH_MB:-100}"
repeat="${KEEL_BENCH_REPEAT:-3}"
threads="${KEEL_BENCH_THREADS:-0}"

bin="$build/bench/csv_read/bench_csv_read"
if [[ ! -x "$bin" ]]; then
  echo "csv_read: $bin is missing; build it with" \
    "'cmake --build $build --target bench_csv_read'" >&2
  exit 2
fi

data="$(mktemp -d "${TMPDIR:-/tmp}/keel-bench-csv-XXXXXX")"
trap 'rm -rf "$data"' EXIT

# Two files of about the same size: the issue's target shape (keel datagen:
# ints, 2-decimal floats, 3 low-cardinality strings, RFC 3339 timestamps,
# empty cells) and a harder one (quoted fields with commas, a bool, naive
# timestamps, 6-decimal coordinates).
"$build/keel" datagen fraud --size "${mb}MB" --out "$data/fraud" --progress off >/dev/null
"$bin" --generate "$data/quoted.csv" --mb "$mb"
echo "$(nproc) cores"
echo "dataset        implementation                     rows   seconds    throughput"

have_pandas=1
/usr/bin/python3 -c 'import pandas' 2>/dev/null || have_pandas=0
run() {  # NAME FILE TIME_COLUMN
  "$bin" --read "$2" --name "$1" --repeat "$repeat" --threads "$threads" | tee -a "$data/rows.txt"
  if [[ $have_pandas -eq 1 ]]; then
    /usr/bin/python3 "$here/peer_pandas.py" "$2" "$1" "$3" "$repeat" | tee -a "$data/rows.txt"
  fi
}
run transactions "$data/fraud/transactions.csv" event_time
run quoted_mixed "$data/quoted.csv" ts

if [[ $have_pandas -eq 0 ]]; then
  echo "peer pandas: skipped, python3-pandas is not installed (apt-get install python3-pandas)"
  exit 0
fi
awk '$3 == "ReadCsv" { keel[$1] = $5 } $2 == "pandas" { peer[$1] = $5 }
  END { for (d in keel) if (keel[d] > 0 && peer[d] > 0)
          printf "ratio %s pandas/keel %.1f\n", d, peer[d] / keel[d] }' "$data/rows.txt"
