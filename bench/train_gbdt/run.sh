#!/usr/bin/env bash
# Training time: Keel's gbdt (GbdtLearner::Fit, library) against Python's
# xgboost.train on the same generated rows (written as CSV) with the same
# parameters and threads: 100 trees of depth 6 on 58 features.
#
#   bench/train_gbdt/run.sh BUILD_DIR
#
# Environment: KEEL_BENCH_ROWS rows (100000), KEEL_BENCH_FEATURES (58),
# KEEL_BENCH_THREADS threads for both (1), KEEL_BENCH_REPEAT fits per side,
# best taken (3). Prints "ratio train keel/xgboost" (target: <= 1.1).
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh" "$@"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
python=/usr/bin/python3  # Debian's, with python3-xgboost
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
keel_out="$("$bin" --csv "$data/train.csv" --rows "${KEEL_BENCH_ROWS:-100000}" \
  --features "${KEEL_BENCH_FEATURES:-58}" --threads "${KEEL_BENCH_THREADS:-1}" --repeat "$repeat")"
echo "$keel_out" | grep -v '^params '
params="$(echo "$keel_out" | sed -n 's/^params //p')"
py_out="$("$python" "$here/xgboost_train.py" "$data/train.csv" "$params" "$repeat")"
echo "$py_out"
keel_s="$(echo "$keel_out" | awk '/^keel_fit_seconds/ {print $2}')"
xgb_s="$(echo "$py_out" | awk '/^xgboost_train_seconds/ {print $2}')"
awk -v k="$keel_s" -v x="$xgb_s" 'BEGIN { printf "ratio train keel/xgboost %.2f\n", k / x }'
