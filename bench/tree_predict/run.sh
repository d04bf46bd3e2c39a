#!/usr/bin/env bash
# Tree scoring: Keel's compiled predictor against XGBoost's own predictor
# (C API, same process, same model: XGBoosterPredictFromDense and
# XGBoosterPredictFromDMatrix): a gbdt of 100 trees of depth 6 on 58
# features, a batch of 100k rows on one thread and single-row latency.
#
#   bench/tree_predict/run.sh BUILD_DIR
#
# Environment: KEEL_BENCH_ROWS batch rows (100000), KEEL_BENCH_THREADS
# threads for the batch (1; 0 = all cores), KEEL_BENCH_FEATURES (58),
# KEEL_BENCH_REPEAT runs per measurement, best taken (3). Prints rows/s for
# each and "ratio xgboost/keel" lines (targets: single row >= 20x, batch per
# thread >= 3x).
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh" "$@"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" --rows "${KEEL_BENCH_ROWS:-100000}" --repeat "$repeat" \
  --threads "${KEEL_BENCH_THREADS:-1}" --features "${KEEL_BENCH_FEATURES:-58}"
