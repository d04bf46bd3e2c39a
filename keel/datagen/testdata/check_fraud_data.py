"""Independent check of generated fraud data with pandas and scikit-learn.

Usage: check_fraud_data.py DIR   -> prints one JSON object of statistics.
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

d = sys.argv[1]
tx = pd.read_csv(f"{d}/transactions.csv", parse_dates=["event_time"])
users = pd.read_csv(f"{d}/users.csv", parse_dates=["signup_time"])
merchants = pd.read_csv(f"{d}/merchants.csv", parse_dates=["created_time"])
snaps = pd.read_csv(f"{d}/user_snapshots.csv", parse_dates=["snapshot_time"])

joined = tx.merge(users, on="user_id", how="left")
# Use the merchant's country (never empty) to tell foreign from domestic.
joined = joined.merge(merchants[["merchant_id", "country"]].rename(columns={"country": "m_country"}),
                      on="merchant_id", how="left")
foreign = joined["m_country"] != joined["home_country"]
hour = joined["event_time"].dt.hour
night = hour < 6
new_account = (joined["event_time"] - joined["signup_time"]).dt.days < 30
risky = joined["category"].isin(["online_services", "electronics", "travel", "jewelry"])

# A plain logistic regression on features a data scientist would build.
user_median = joined.groupby("user_id")["amount"].transform("median")
features = pd.DataFrame({
    "foreign": foreign.astype(float),
    "night": night.astype(float),
    "new_account": new_account.astype(float),
    "risky": risky.astype(float),
    "log_amount": np.log1p(joined["amount"].fillna(joined["amount"].median())),
    "amount_ratio": np.log1p((joined["amount"] / user_median).fillna(1.0)),
})
y = joined["is_fraud"].values
half = len(features) // 2
model = LogisticRegression(max_iter=1000).fit(features[:half], y[:half])
auc = roc_auc_score(y[half:], model.predict_proba(features[half:])[:, 1])

print(json.dumps({
    "rows": int(len(tx)),
    "columns": list(tx.columns),
    "dtypes": {c: str(t) for c, t in tx.dtypes.items()},
    "ids_sequential": bool((tx["transaction_id"].values == np.arange(1, len(tx) + 1)).all()),
    "time_ordered": bool(tx["event_time"].is_monotonic_increasing),
    "time_zone": str(tx["event_time"].dt.tz),
    "fraud_rate": float(tx["is_fraud"].mean()),
    "fraud_rate_foreign": float(joined.loc[foreign, "is_fraud"].mean()),
    "fraud_rate_domestic": float(joined.loc[~foreign, "is_fraud"].mean()),
    "fraud_rate_night": float(joined.loc[night, "is_fraud"].mean()),
    "fraud_rate_day": float(joined.loc[~night, "is_fraud"].mean()),
    "missing": {c: int(tx[c].isna().sum()) for c in tx.columns},
    "auc": float(auc),
    "users": int(len(users)),
    "users_with_unknown_age": int(users["age"].isna().sum()),
    "merchants": int(len(merchants)),
    "snapshots": int(len(snaps)),
    "snapshot_users": int(snaps["user_id"].nunique()),
    "unknown_user_ids": int((~tx["user_id"].isin(users["user_id"])).sum()),
    "unknown_merchant_ids": int((~tx["merchant_id"].isin(merchants["merchant_id"])).sum()),
}))
