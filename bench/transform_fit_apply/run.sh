#!/usr/bin/env bash
# Fitted preprocessing pipeline: keel::transform against scikit-learn's
# ColumnTransformer on the same 1M rows (3 numeric with gaps, 2 categorical,
# 1 timestamp; impute mean, standard scale, one-hot, hour and day of week).
#
#   bench/transform_fit_apply/run.sh BUILD_DIR
#
# Environment: KEEL_BENCH_N rows (1000000), KEEL_BENCH_REPEAT runs, best
# taken (3). Prints both sides' rows (name, implementation, n, seconds, ns per
# row), then "ratio" lines: sklearn time / Keel time (above 1: Keel is
# faster). transform_row is Keel's allocation-free row path against sklearn's
# transform of a one-row DataFrame.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh" "$@"
n="${KEEL_BENCH_N:-1000000}"

echo "name          implementation       n   seconds  ns/row"
"$bin" --n "$n" --repeat "$repeat" --out "$data" | tee "$data/rows.txt"

if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
  echo "peer sklearn: skipped, python3-sklearn is not installed (apt-get install python3-sklearn)"
  exit 0
fi
/usr/bin/python3 "$here/peer_sklearn.py" "$data" "$repeat" | tee -a "$data/rows.txt"
/usr/bin/python3 -c 'import sklearn; print("peer: scikit-learn", sklearn.__version__, "(ColumnTransformer)")'

awk '$2 == "keel" { keel[$1] = $5 } $2 == "sklearn" { peer[$1] = $5; order[++k] = $1 }
  END { for (i = 1; i <= k; ++i) { d = order[i]
          if (keel[d] > 0) printf "ratio %s sklearn/keel %.1f\n", d, peer[d] / keel[d] } }' \
  "$data/rows.txt"
