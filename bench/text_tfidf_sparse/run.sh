#!/usr/bin/env bash
# TF-IDF to a sparse (CSR) matrix: keel's tfidf step with output: sparse
# against scikit-learn's TfidfVectorizer on the same documents (unigrams and
# bigrams, min_df 2; 200k documents of 5-20 words from a 50k-word vocabulary).
#
#   bench/text_tfidf_sparse/run.sh BUILD_DIR
#
# Environment: KEEL_BENCH_N documents (200000), KEEL_BENCH_REPEAT runs, best
# taken (3). Prints both sides' rows (name, implementation, n, seconds, ns
# per document), then "ratio" lines: sklearn time / Keel time (above 1: Keel
# is faster).
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh" "$@"
n="${KEEL_BENCH_N:-200000}"

echo "name          implementation       n   seconds  ns/doc"
"$bin" --n "$n" --repeat "$repeat" --out "$data" | tee "$data/rows.txt"

if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
  echo "peer sklearn: skipped, python3-sklearn is not installed (apt-get install python3-sklearn)"
  exit 0
fi
/usr/bin/python3 "$here/peer_sklearn.py" "$data" "$repeat" | tee -a "$data/rows.txt"
/usr/bin/python3 -c 'import sklearn; print("peer: scikit-learn", sklearn.__version__, "(TfidfVectorizer)")'

awk '$2 == "keel" { keel[$1] = $5 } $2 == "sklearn" { peer[$1] = $5; order[++k] = $1 }
  END { for (i = 1; i <= k; ++i) { d = order[i]
          if (keel[d] > 0) printf "ratio %s sklearn/keel %.1f\n", d, peer[d] / keel[d] } }' \
  "$data/rows.txt"
