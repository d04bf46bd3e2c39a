#!/usr/bin/env bash
# Tree scoring: Keel's compiled predictor against XGBoost's own predictor
# (C API, same process, same model): a gbdt of 100 trees of depth 6 on 30
# features, a batch of 1M rows and single-row latency.
#
#   bench/tree_predict/run.sh BUILD_DIR
#
# Environment: KEEL_BENCH_ROWS batch rows (1000000), KEEL_BENCH_REPEAT runs
# per measurement, best taken (3), KEEL_BENCH_THREADS threads (0 = all cores).
# Prints rows/s for each and "ratio xgboost/keel" lines (targets: batch
# >= 1M rows/s on 2 cores; single row faster than XGBoost).
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh" "$@"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
echo "$(nproc) cores"
"$bin" --rows "${KEEL_BENCH_ROWS:-1000000}" --repeat "$repeat" --threads "${KEEL_BENCH_THREADS:-0}"
