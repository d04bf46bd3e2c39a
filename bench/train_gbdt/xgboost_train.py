"""Times Python's xgboost.train on bench_train_gbdt's CSV with its parameters.

    python3 xgboost_train.py FILE 'PARAMS_JSON' REPEAT

Times, like Keel's side, building the DMatrix from the in-memory array plus
the boosting rounds (reading the CSV is not timed); prints the best of REPEAT
as "xgboost_train_seconds S".
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb

path, params, repeat = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
rounds = params.pop("rounds")
df = pd.read_csv(path)
y = df.pop("label").to_numpy()
x = df.to_numpy(dtype=np.float64)
best = float("inf")
for _ in range(repeat):
    start = time.perf_counter()
    dtrain = xgb.DMatrix(x, label=y, nthread=params["nthread"])
    xgb.train(params, dtrain, num_boost_round=rounds)
    best = min(best, time.perf_counter() - start)
print("xgboost %s" % xgb.__version__)
print("xgboost_train_seconds %.3f" % best)
