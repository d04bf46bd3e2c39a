"""scikit-learn's answer for the learn/linear tests.

Reads one JSON spec on stdin (keel/base/testing/python.h's RunPythonJson
runs it). The spec names the model, the CSV
files (no header, full-precision doubles) and the parameters; the result is
one JSON object on stdout with the fitted attributes as lists.
"""
import json
import sys
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.linear_model import ElasticNet, LinearRegression, LogisticRegression, Ridge

warnings.filterwarnings("ignore")


def load(path):
    return np.loadtxt(path, delimiter=",", ndmin=2)


def load_x(spec):
    """Dense X from "x", or scipy CSR from "x_coo" (row,col,value lines) and "shape"."""
    if "x_coo" not in spec:
        return load(spec["x"])
    t = np.loadtxt(spec["x_coo"], delimiter=",", ndmin=2).reshape(-1, 3)
    rows, cols = spec["shape"]
    return sp.csr_matrix((t[:, 2], (t[:, 0].astype(int), t[:, 1].astype(int))), shape=(rows, cols))


def main():
    spec = json.load(sys.stdin)
    x = load_x(spec)
    y = load(spec["y"]).ravel() if "y" in spec else None
    w = load(spec["w"]).ravel() if "w" in spec else None
    model = spec["model"]
    out = {}
    if model == "linear":
        m = LinearRegression(fit_intercept=spec["fit_intercept"]).fit(x, y, sample_weight=w)
    elif model == "ridge":
        extra = {k: spec[k] for k in ("solver", "tol", "max_iter") if k in spec}
        m = Ridge(alpha=spec["alpha"], fit_intercept=spec["fit_intercept"], **extra).fit(
            x, y, sample_weight=w)
    elif model == "enet":
        m = ElasticNet(alpha=spec["alpha"], l1_ratio=spec["l1_ratio"], tol=spec["tol"],
                       max_iter=spec["max_iter"], fit_intercept=spec["fit_intercept"]).fit(
                           x, y, sample_weight=w)
        out["n_iter"] = int(m.n_iter_)
    elif model == "logistic":
        m = LogisticRegression(C=spec["C"], solver=spec["solver"], tol=spec["tol"],
                               max_iter=spec["max_iter"],
                               fit_intercept=spec["fit_intercept"]).fit(x, y, sample_weight=w)
        out["proba"] = m.predict_proba(x).tolist()
        out["sparse"] = sp.issparse(x)
        out["n_iter"] = int(m.n_iter_[0])
        # The objective C * sum(w * log loss) + ||coef||^2 / 2 at the solution.
        p = np.clip(m.predict_proba(x), 1e-300, None)
        loss = -np.log(p[np.arange(len(y)), y.astype(int)])
        sw = np.ones(len(y)) if w is None else w
        out["objective"] = float(spec["C"] * np.dot(sw, loss) + 0.5 * np.sum(m.coef_**2))
    elif model == "kmeans":
        init = load(spec["init"]) if "init" in spec else "k-means++"
        m = KMeans(n_clusters=spec["k"], init=init, n_init=spec["n_init"], tol=spec["tol"],
                   max_iter=spec["max_iter"], algorithm="lloyd",
                   random_state=spec.get("seed", 0)).fit(x, sample_weight=w)
        out["centres"] = m.cluster_centers_.tolist()
        out["labels"] = m.labels_.tolist()
        out["inertia"] = float(m.inertia_)
        out["n_iter"] = int(m.n_iter_)
        print(json.dumps(out))
        return
    elif model == "pca":
        m = PCA(n_components=spec["n_components"], whiten=spec["whiten"],
                svd_solver="full").fit(x)
        out["components"] = m.components_.tolist()
        out["explained_variance"] = m.explained_variance_.tolist()
        out["explained_variance_ratio"] = m.explained_variance_ratio_.tolist()
        out["singular_values"] = m.singular_values_.tolist()
        out["mean"] = m.mean_.tolist()
        out["transform"] = m.transform(x).tolist()
        print(json.dumps(out))
        return
    else:
        raise SystemExit("unknown model " + model)
    out["sparse"] = sp.issparse(x)
    out["coef"] = np.atleast_2d(m.coef_).tolist()
    out["intercept"] = np.atleast_1d(m.intercept_).tolist()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
