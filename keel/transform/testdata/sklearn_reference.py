"""Fits scikit-learn 1.2 preprocessors on train.csv, applies them to
test.csv, and writes their fitted statistics and outputs as JSON for
keel/transform/sklearn_test.cc.

Usage: sklearn_reference.py TRAIN_CSV TEST_CSV OUT_JSON
NaN is written as null.
"""
import json
import math
import sys

import numpy as np
import pandas as pd
from sklearn.feature_extraction import FeatureHasher
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import (KBinsDiscretizer, MaxAbsScaler, MinMaxScaler,
                                   OneHotEncoder, OrdinalEncoder, RobustScaler,
                                   StandardScaler)

NUMERIC = ["a", "b", "c"]
CATEGORIES = ["city", "dev"]
COMPLETE = ["u", "k"]


def clean(x):
    if isinstance(x, (list, tuple, np.ndarray)):
        return [clean(v) for v in x]
    if isinstance(x, (float, np.floating)):
        return None if math.isnan(x) else float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if x is None:
        return None
    return x


def columns(matrix):
    return clean(np.asarray(matrix, dtype=float).T.tolist())


def main():
    train = pd.read_csv(sys.argv[1], keep_default_na=False, na_values=[""])
    test = pd.read_csv(sys.argv[2], keep_default_na=False, na_values=[""])
    out = {}
    num_train, num_test = train[NUMERIC].astype(float), test[NUMERIC].astype(float)
    for strategy in ["mean", "median", "most_frequent", "constant"]:
        imp = SimpleImputer(strategy=strategy, fill_value=0 if strategy == "constant" else None,
                            add_indicator=True)
        imp.fit(num_train)
        out["impute_" + strategy] = {"statistics": clean(imp.statistics_.tolist()),
                                     "output": columns(imp.transform(num_test)),
                                     "names": list(imp.get_feature_names_out())}
    cat_train = train[CATEGORIES].astype(object)
    cat_test = test[CATEGORIES].astype(object)
    for strategy, fill in [("most_frequent", None), ("constant", "none")]:
        imp = SimpleImputer(strategy=strategy, fill_value=fill, missing_values=np.nan)
        imp.fit(cat_train)
        out["impute_str_" + strategy] = {"statistics": list(imp.statistics_),
                                         "output": [list(c) for c in imp.transform(cat_test).T]}
    scalers = {
        "standard": (StandardScaler(), ["mean_", "scale_"]),
        "minmax": (MinMaxScaler(), ["data_min_", "data_max_", "scale_", "min_"]),
        "minmax_range": (MinMaxScaler(feature_range=(-1, 3)), ["scale_", "min_"]),
        "robust": (RobustScaler(), ["center_", "scale_"]),
        "robust_range": (RobustScaler(quantile_range=(10, 90)), ["center_", "scale_"]),
        "maxabs": (MaxAbsScaler(), ["scale_"]),
    }
    for name, (scaler, attrs) in scalers.items():
        scaler.fit(num_train)
        entry = {attr: clean(getattr(scaler, attr).tolist()) for attr in attrs}
        entry["output"] = columns(scaler.transform(num_test))
        out["scale_" + name] = entry
    one_hots = {
        "plain": dict(handle_unknown="ignore"),
        "min_count": dict(handle_unknown="ignore", min_frequency=40),
        "min_share": dict(handle_unknown="ignore", min_frequency=0.05),
        "max_categories": dict(handle_unknown="ignore", max_categories=4),
        "both": dict(handle_unknown="ignore", min_frequency=10, max_categories=6),
    }
    for name, kwargs in one_hots.items():
        enc = OneHotEncoder(sparse_output=False, **kwargs)
        enc.fit(cat_train)
        out["one_hot_" + name] = {"names": list(enc.get_feature_names_out()),
                                  "output": columns(enc.transform(cat_test))}
    enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    enc.fit(cat_train)
    out["ordinal"] = {"categories": [clean(list(c)) for c in enc.categories_],
                      "output": columns(enc.transform(cat_test))}
    for strategy in ["uniform", "quantile"]:
        for n_bins in [3, 5, 7]:
            kb = KBinsDiscretizer(n_bins=n_bins, encode="ordinal", strategy=strategy,
                                  subsample=None)
            kb.fit(train[COMPLETE].astype(float))
            out["bin_%s_%d" % (strategy, n_bins)] = {
                "edges": [clean(e.tolist()) for e in kb.bin_edges_],
                "output": columns(kb.transform(test[COMPLETE].astype(float)))}
    hasher = FeatureHasher(n_features=8, input_type="string")
    rows = [[v] if isinstance(v, str) else [] for v in test["city"]]
    out["hashing"] = {"output": columns(hasher.transform(rows).toarray())}
    with open(sys.argv[3], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
