#!/usr/bin/env python3
"""Reference for Keel's CSV reader tests: reads a CSV with pandas and writes
each column's dtype and values as JSON.

usage: pandas_dump.py IN.csv OUT.json [--parse-dates COL,COL...]

Output: {"columns": [{"name": ..., "dtype": ..., "values": [...]}, ...]}
with null for missing values, timestamps as int microseconds since the epoch
(UTC), floats with full precision (Python's repr).
"""
import json
import math
import sys

import pandas as pd


def column_values(series):
    if str(series.dtype).startswith("datetime64"):
        micros = series.astype("int64") // 1000
        return [None if missing else int(v) for v, missing in zip(micros, series.isna())]
    out = []
    for v in series.tolist():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        elif isinstance(v, bool):
            out.append(v)
        elif isinstance(v, int):
            out.append(int(v))
        elif isinstance(v, float):
            out.append(float(v))
        else:
            out.append(str(v))
    return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    parse_dates = []
    if len(sys.argv) > 4 and sys.argv[3] == "--parse-dates":
        parse_dates = sys.argv[4].split(",")
    frame = pd.read_csv(src, parse_dates=parse_dates, low_memory=False)
    columns = [
        {"name": str(name), "dtype": str(frame[name].dtype), "values": column_values(frame[name])}
        for name in frame.columns
    ]
    with open(dst, "w", encoding="utf-8") as f:
        json.dump({"columns": columns}, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
