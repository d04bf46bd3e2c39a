#!/usr/bin/python3
"""scikit-learn's TfidfVectorizer(ngram_range=(1, 2), min_df=2) on the
documents bench_text_tfidf_sparse wrote (scipy CSR output).

Usage: peer_sklearn.py DIR [REPEAT]
Prints rows like the Keel binary's: fit_transform and transform.
"""
import sys
import time

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer


def main(argv):
    directory = argv[1]
    repeat = int(argv[2]) if len(argv) > 2 else 3
    docs = pd.read_csv(directory + "/data.csv", keep_default_na=False)["text"].tolist()
    n = len(docs)
    best_fit = best_apply = float("inf")
    for _ in range(repeat):
        v = TfidfVectorizer(ngram_range=(1, 2), min_df=2)
        start = time.perf_counter()
        m = v.fit_transform(docs)
        best_fit = min(best_fit, time.perf_counter() - start)
        start = time.perf_counter()
        v.transform(docs)
        best_apply = min(best_apply, time.perf_counter() - start)
    print("fit_transform sklearn %d %.4f %.1f" % (n, best_fit, best_fit / n * 1e9))
    print("transform     sklearn %d %.4f %.1f" % (n, best_apply, best_apply / n * 1e9))
    print("sklearn: %d terms, %d non-zeros" % (m.shape[1], m.nnz), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
