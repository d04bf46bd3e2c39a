#!/usr/bin/python3
"""pandas.to_datetime on the strings bench_timestamp_parse wrote.

Usage: peer_pandas.py DIR [REPEAT]

For each DIR/<dataset>.txt prints a row like the Keel binary's (dataset,
implementation, count, best seconds of REPEAT runs, ns per value), then checks
pandas' answers against DIR/<dataset>.keel.i64 and prints a "check" line.
"""

import sys
import time

import numpy as np
import pandas as pd

# Dataset -> keyword arguments: the fastest correct calls seen with pandas
# 1.5.3 on these strings (utc=True is required for mixed offsets; an explicit
# format, infer_datetime_format=True and cache=False were all within a few
# percent).
CALLS = {
    "rfc3339_offsets": dict(utc=True),
    "naive_seconds": dict(format="%Y-%m-%d %H:%M:%S"),
}


def main(argv):
    directory = argv[1]
    repeat = int(argv[2]) if len(argv) > 2 else 3
    for dataset, kwargs in CALLS.items():
        with open(f"{directory}/{dataset}.txt", encoding="ascii") as f:
            texts = np.array(f.read().split("\n")[:-1], dtype=object)
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            parsed = pd.to_datetime(texts, **kwargs)
            best = min(best, time.perf_counter() - start)
        n = len(texts)
        print(f"{dataset:<16} {'pandas':<26} {n:>9} {best:9.3f} s {best * 1e9 / n:9.1f} ns/value",
              flush=True)

        # Nanoseconds floored to microseconds, as Keel truncates the fraction.
        micros = np.asarray(parsed.asi8) // 1000
        keel = np.fromfile(f"{directory}/{dataset}.keel.i64", dtype="<i8")
        differ = np.flatnonzero(micros != keel)
        if len(keel) != n:
            print(f"check {dataset}: Keel wrote {len(keel)} values for {n} strings")
        elif len(differ) == 0:
            print(f"check {dataset}: pandas and Keel agree on all {n} values")
        else:
            i = differ[0]
            print(f"check {dataset}: {len(differ)} values differ, first {texts[i]!r}: "
                  f"pandas {micros[i]} keel {keel[i]}")


if __name__ == "__main__":
    main(sys.argv)
