#!/usr/bin/python3
"""scikit-learn's ColumnTransformer on the table bench_transform_fit_apply
wrote: SimpleImputer(mean) + StandardScaler on x1..x3, OneHotEncoder on city
and device, hour and day of week from ts.

Usage: peer_sklearn.py DIR [REPEAT]
Prints rows like the Keel binary's: fit_transform, transform and
transform_row (one-row DataFrames, as a serving endpoint would build them).
"""
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler


def hour_dow(frame):
    ts = frame.iloc[:, 0]
    return np.column_stack([ts.dt.hour.to_numpy(float), ts.dt.dayofweek.to_numpy(float)])


def make():
    return ColumnTransformer([
        ("num", Pipeline([("impute", SimpleImputer(strategy="mean")),
                          ("scale", StandardScaler())]), ["x1", "x2", "x3"]),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         ["city", "device"]),
        ("ts", FunctionTransformer(hour_dow), ["ts"]),
    ])


def main(argv):
    directory = argv[1]
    repeat = int(argv[2]) if len(argv) > 2 else 3
    frame = pd.read_csv(directory + "/data.csv", parse_dates=["ts"])
    n = len(frame)
    best_fit = best_apply = float("inf")
    for _ in range(repeat):
        ct = make()
        start = time.perf_counter()
        ct.fit_transform(frame)
        best_fit = min(best_fit, time.perf_counter() - start)
        start = time.perf_counter()
        ct.transform(frame)
        best_apply = min(best_apply, time.perf_counter() - start)
    print("fit_transform sklearn %d %.4f %.1f" % (n, best_fit, best_fit / n * 1e9))
    print("transform     sklearn %d %.4f %.1f" % (n, best_apply, best_apply / n * 1e9))
    rows = 2000
    start = time.perf_counter()
    for i in range(rows):
        ct.transform(frame.iloc[i:i + 1])
    elapsed = time.perf_counter() - start
    print("transform_row sklearn %d %.4f %.1f" % (rows, elapsed, elapsed / rows * 1e9))


if __name__ == "__main__":
    main(sys.argv)
