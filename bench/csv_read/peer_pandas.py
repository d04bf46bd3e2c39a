#!/usr/bin/python3
"""pandas.read_csv on the file bench_csv_read generated.

Usage: peer_pandas.py FILE NAME TIME_COLUMN [REPEAT]

Prints a row like the Keel binary's (dataset, implementation, rows, best
seconds of REPEAT runs, MB/s) and pandas' dtypes.
"""

import os
import sys
import time

import pandas as pd


def main(argv):
    path, dataset, time_column = argv[1], argv[2], argv[3]
    repeat = int(argv[4]) if len(argv) > 4 else 3
    best = float("inf")
    frame = None
    for _ in range(repeat):
        start = time.perf_counter()
        # What a user writes: the C engine, the timestamp column parsed
        # (pandas 1.5 takes its fast ISO 8601 path for this layout).
        frame = pd.read_csv(path, parse_dates=[time_column], low_memory=False)
        best = min(best, time.perf_counter() - start)
        del frame
        frame = None
    frame = pd.read_csv(path, nrows=5, parse_dates=[time_column])
    megabytes = os.path.getsize(path) / 1e6
    name = "pandas read_csv"
    rows = sum(1 for _ in open(path, "rb")) - 1
    print(f"{dataset:<14} {name:<28} {rows:>10} {best:9.3f} s {megabytes / best:8.1f} MB/s",
          flush=True)
    print("pandas:", pd.__version__, dict(frame.dtypes.astype(str)))


if __name__ == "__main__":
    main(sys.argv)
