#!/usr/bin/env python3
"""Reference for Keel's JSON Lines reader tests: reads JSON Lines with
json.loads and pandas.json_normalize(sep=".") and writes each column's
values as JSON.

usage: json_normalize_dump.py IN.jsonl OUT.json

MongoDB extended JSON wrappers are replaced first ({"$oid": s} -> s,
{"$date": ...} -> an RFC 3339 string in UTC with microseconds,
{"$numberLong": s} -> int, {"$numberDouble"/"$numberDecimal": s} -> float),
as Keel's reader does with mongodb_extended_json.

Output: {"columns": [{"name": ..., "values": [...]}, ...]} with null for
missing values (None and NaN), lists as JSON arrays, other values as they are.
"""
import datetime
import json
import math
import sys

import pandas as pd


def iso(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unwrap(value):
    if isinstance(value, dict):
        if len(value) == 1:
            (key, inner), = value.items()
            if key == "$oid" and isinstance(inner, str):
                return inner
            if key == "$date":
                if isinstance(inner, str):
                    return iso(datetime.datetime.fromisoformat(inner.replace("Z", "+00:00")))
                if isinstance(inner, dict):
                    inner = int(inner["$numberLong"])
                epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
                return iso(epoch + datetime.timedelta(milliseconds=inner))
            if key in ("$numberLong", "$numberInt") and isinstance(inner, str):
                return int(inner)
            if key in ("$numberDouble", "$numberDecimal") and isinstance(inner, str):
                return float(inner)
        return {k: unwrap(v) for k, v in value.items()}
    return value


def plain(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, (list, bool, str)):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    if hasattr(v, "item"):  # numpy scalars
        return plain(v.item())
    return str(v)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as f:
        records = [unwrap(json.loads(line)) for line in f if line.strip()]
    frame = pd.json_normalize(records, sep=".")
    columns = [{"name": str(name), "values": [plain(v) for v in frame[name].tolist()]}
               for name in frame.columns]
    with open(dst, "w", encoding="utf-8") as f:
        json.dump({"columns": columns}, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
