"""pandas merge_asof on the same data as bench_pit_join (splitmix64 of (row,
stream)); timed: the sorts of both frames and merge_asof(direction="backward",
tolerance=7 days). Prints "pit_join pandas N M seconds peak_rss_mb matched
v_sum" (best of R; peak resident memory of the process)."""
import resource
import sys
import time

import numpy as np
import pandas as pd

BASE = 1_700_000_000_000_000
SPAN = 30 * 86_400_000_000
TTL = 7 * 86_400_000_000


def h(i, stream):
    with np.errstate(over="ignore"):
        z = i * np.uint64(0x9E3779B97F4A7C15) + np.uint64(stream) * np.uint64(0xD1B54A32D192ED03)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def column(count, fn, dtype):
    out = np.empty(count, dtype=dtype)
    for start in range(0, count, 1_000_000):
        i = np.arange(start, min(count, start + 1_000_000), dtype=np.uint64)
        out[start:start + len(i)] = fn(i)
    return out


def main():
    n, m, repeat = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    users = max(1, n // 10)
    ts = column(m, lambda i: BASE + (h(i, 2) % np.uint64(SPAN)).astype(np.int64), np.int64)
    right = pd.DataFrame({
        "user": column(m, lambda i: (h(i, 1) % np.uint64(users)).astype(np.int64), np.int64),
        "ts": pd.to_datetime(ts * 1000, unit="ns"),
        "created": pd.to_datetime(
            (ts + column(m, lambda i: (h(i, 3) % np.uint64(1000)).astype(np.int64), np.int64)) * 1000,
            unit="ns"),
        "f1": column(m, lambda i: (h(i, 4) >> np.uint64(11)).astype(np.float64) * 2.0**-53, np.float64),
        "v": np.arange(m, dtype=np.int64),
    })
    del ts
    left = pd.DataFrame({
        "user": column(n, lambda i: (h(i, 5) % np.uint64(users + users // 10)).astype(np.int64),
                       np.int64),
        "at": pd.to_datetime(
            column(n, lambda i: BASE + (h(i, 6) % np.uint64(SPAN)).astype(np.int64), np.int64) * 1000,
            unit="ns"),
    })
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = pd.merge_asof(left.sort_values("at", kind="stable"),
                            right.sort_values(["ts", "created"], kind="stable"),
                            left_on="at", right_on="ts", by="user", direction="backward",
                            tolerance=pd.Timedelta(microseconds=TTL), allow_exact_matches=True)
        best = min(best, time.perf_counter() - start)
    v = out["v"]
    matched = int(v.notna().sum())
    v_sum = int(v.fillna(0).astype(np.int64).sum())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pit_join pandas {n} {m} {best:.3f} {peak_mb:.0f} {matched} {v_sum}")


main()
