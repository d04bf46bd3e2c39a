#!/usr/bin/env bash
# Native columnar file: reading a table back from Keel's native file against
# parsing the CSV it came from (keel::ReadCsv), on `keel datagen fraud`
# transactions generated in the run.
#
#   bench/native_read/run.sh BUILD_DIR
#
# Environment: KEEL_BENCH_MB CSV size (200), KEEL_BENCH_REPEAT runs per
# measurement, best taken (3), KEEL_BENCH_THREADS threads (0 = all cores).
# Prints each step, the file sizes, then "ratio csv_parse/native_read N"
# (the project's target is >= 20).
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh" "$@"
mb="${KEEL_BENCH_MB:-200}"
threads="${KEEL_BENCH_THREADS:-0}"

if [[ -x "$build/keel" ]]; then
  "$build/keel" datagen fraud --size "${mb}MB" --out "$data/fraud" --progress off >/dev/null
else  # a build with only the benchmark: the same generator, linked in
  echo "native_read: $build/keel is missing; generating with $bin instead" >&2
  "$bin" --generate "$data/fraud" --mb "$mb"
fi
echo "$(nproc) cores"
"$bin" --csv "$data/fraud/transactions.csv" --native "$data/transactions.kcol" \
  --repeat "$repeat" --threads "$threads"
