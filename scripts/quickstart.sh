#!/usr/bin/env bash
# `make quickstart`: Keel's main job end to end on bundled example data with
# the embedded defaults (a local folder, SQLite, the embedded online store).
# It grows with every capability that lands; each step prints what it does.
#
# Usage: scripts/quickstart.sh [PATH_TO_KEEL]   (default: build/keel)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keel="$(cd "$(dirname "${1:-$root/build/keel}")" && pwd)/$(basename "${1:-build/keel}")"
workspace="${KEEL_QUICKSTART_DIR:-$root/build/quickstart}"

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
step() { printf '\n%s==> %s%s\n$ %s\n' "$bold" "$1" "$plain" "${*:2}"; "${@:2}"; }

echo "Keel quickstart: workspace in $workspace"
rm -rf "$workspace"

step "Create a workspace (keel.yaml lists every setting with its default)" \
  "$keel" init "$workspace" --project quickstart
cd "$workspace"
step "Check the settings" "$keel" config check
step "Show the settings in force and where each came from" "$keel" config show
step "The same as JSON, for scripts" "$keel" config get registry.uri --json
step "Generate the example data: card transactions with a fraud label, users, merchants, snapshots" \
  "$keel" datagen fraud --rows 100000 --seed 42 --out data/fraud
step "A look at the transactions" head -n 5 data/fraud/transactions.csv
step "Ingest the transactions into the lake: raw bytes kept, typed table stored, version named by content hash" \
  "$keel" ingest data/fraud/transactions.csv --name transactions
step "Ingest the users" "$keel" ingest data/fraud/users.csv --name users
step "Ingesting the same bytes again adds nothing" \
  "$keel" ingest data/fraud/transactions.csv --name transactions
step "The datasets in the lake" "$keel" datasets list
step "One dataset: its version, source, row count and schema" "$keel" datasets show transactions
step "A profile of every column: counts, nulls, range, mean, distinct values, top values" \
  "$keel" datasets profile transactions
step "Train a gradient-boosted model on it: preprocessing from examples/fraud/prep.yaml, 20% held out, 3-fold CV" \
  "$keel" train --data transactions --target is_fraud --model gbdt --name fraud \
  --transform "$root/examples/fraud/prep.yaml" -p n_estimators=100 -p max_depth=5 --cv 3
step "A linear baseline on the same features" \
  "$keel" train --data transactions --target is_fraud --model logistic --name fraud_baseline \
  --transform "$root/examples/fraud/prep.yaml"
step "Mark the model for production" "$keel" models promote fraud 1 --alias production
step "The registry: models, versions, aliases, metrics" "$keel" models list
step "The training runs" "$keel" runs list
step "Score the transactions with the production model (its own fitted preprocessing)" \
  "$keel" predict --model fraud@production --data transactions --out predictions.csv --keep-inputs
step "A look at the predictions" head -n 5 predictions.csv
step "Its metrics on the whole dataset" "$keel" evaluate --model fraud@production --data transactions

# Online serving: start the server on a free port, ask it with curl, stop it.
# start_server ARGS...: `keel serve ARGS --port 0 --json` in the background;
# sets $server (its PID) and $port once it listens.
start_server() {
  echo "\$ $keel serve $* --port 0 --json &"
  rm -f serve.json
  "$keel" serve "$@" --port 0 --json --no-access-log >serve.json 2>serve.log &
  server=$!
  trap 'kill "$server" 2>/dev/null || true' EXIT
  port=""
  for _ in $(seq 1 300); do
    port="$(python3 -c 'import json,sys; print(json.load(open("serve.json"))["port"])' 2>/dev/null || true)"
    [[ -n "$port" ]] && break
    kill -0 "$server" 2>/dev/null || { cat serve.log >&2; exit 1; }
    sleep 0.1
  done
  [[ -n "$port" ]] || { echo "keel serve did not start; its log:" >&2; cat serve.log >&2; exit 1; }
}
stop_server() {
  step "Stop it: SIGTERM drains requests in flight" kill -TERM "$server"
  wait "$server"
  trap - EXIT
}
post() { curl -sS -w '\n' -H 'Content-Type: application/json' --data-binary "$2" "http://127.0.0.1:$port$1"; }

printf '\n%s==> Serve the production model over HTTP (KServe V2 and TF Serving protocols)%s\n' "$bold" "$plain"
start_server --model fraud@production
step "Ready?" curl -sS -w '\n' "http://127.0.0.1:$port/v2/health/ready"
request='{"instances": [{"event_time": "2024-02-03T04:14:17Z", "amount": 87.85, "category": "fuel", "country": "GB", "device": "desktop"},
                       {"event_time": "2024-03-09T02:51:00Z", "amount": null, "category": "electronics", "country": "BR", "device": null}]}'
step "Score two raw transactions (TF Serving :predict, a gap and a missing device included)" \
  curl -sS -w '\n' -H 'Content-Type: application/json' --data-binary "$request" \
  "http://127.0.0.1:$port/v1/models/fraud:predict"
step "What the server has counted (Prometheus)" \
  bash -c "curl -sS http://127.0.0.1:$port/metrics | grep '^keel_requests_total'"
stop_server

# The feature store: features defined once, a point-in-time training set, the
# same values online for a model that fetches them itself.
step "Ingest the weekly user snapshots: feature rows, each with its time" \
  "$keel" ingest data/fraud/user_snapshots.csv --name user_snapshots
step "Define features once: an entity, a feature view over the snapshots, a service for the model" \
  "$keel" features apply "$root/examples/fraud/features.yaml"
step "The feature views and services" "$keel" features list
step "A point-in-time training set: each transaction with its user's profile as of that moment (never a later snapshot)" \
  "$keel" features get-historical --entities transactions --timestamp-column event_time \
  --service fraud_user --out data/train_features.parquet
step "Ingest the training set" "$keel" ingest data/train_features.parquet --name fraud_training
step "Train on it; the bundle records the feature service it was built from" \
  "$keel" train --data fraud_training --target is_fraud --model gbdt --name fraud_features \
  --transform "$root/examples/fraud/prep_features.yaml" --feature-service fraud_user \
  -p n_estimators=100 -p max_depth=5
step "Load each user's latest profile into the embedded online store (watermark kept in the registry)" \
  "$keel" features materialize-incremental
step "Read two users' features back, as the server will" \
  "$keel" features get-online --service fraud_user --entity user_id=1 --entity user_id=2
step "Windowed aggregates (sum, count, max over 1h/1d/7d) for the training set, point in time" \
  "$keel" features get-historical --entities transactions --timestamp-column event_time \
  --service user_velocity --out data/velocity.csv
step "A look at them" head -n 4 data/velocity.csv
step "Keep them online too: each user's events of the last 7 days before the end of the example data" \
  "$keel" features materialize --view user_velocity --start 2024-01-01 --end 2024-04-01
step "Online, as of that moment: the same numbers the training set would have at that time" \
  "$keel" features get-online --service user_velocity --entity user_id=1 --at 2024-04-01T00:00:00
step "An on-demand view: features computed at request time from the request (amount) and stored features" \
  "$keel" features describe txn_context
step "Computed for a request: user 1 spending 870" \
  "$keel" features get-online --service fraud_plus --entity user_id=1 --entity amount=870 \
  --at 2024-04-01T00:00:00

printf '\n%s==> Serve the feature-store model: requests carry the user id, the server fetches the profile%s\n' "$bold" "$plain"
start_server --model fraud_features --online-features
step "Online features in Feast's get-online-features shape" \
  post /v1/features '{"feature_service": "fraud_user", "entities": {"user_id": [1, 2]}}'
step "Score a transaction: user_id instead of the profile (KServe V2)" \
  post /v2/models/fraud_features/infer '{"inputs": [
    {"name": "user_id", "datatype": "INT64", "shape": [1], "data": [1]},
    {"name": "event_time", "datatype": "BYTES", "shape": [1], "data": ["2024-02-03T04:14:17Z"]},
    {"name": "amount", "datatype": "FP64", "shape": [1], "data": [87.85]},
    {"name": "category", "datatype": "BYTES", "shape": [1], "data": ["fuel"]},
    {"name": "country", "datatype": "BYTES", "shape": [1], "data": ["GB"]},
    {"name": "device", "datatype": "BYTES", "shape": [1], "data": ["desktop"]}]}'
step "Push a new snapshot for user 1 as it happens: online at once, and kept offline for training" \
  post /v1/push '{"feature_view": "user_profile", "to": "online_and_offline", "df": {"user_id": [1],
    "snapshot_time": ["2024-04-01T00:00:00Z"], "credit_limit": [500.0], "risk_tier": ["high"], "num_cards": [5]}}'
step "The server reads the pushed values at once" \
  post /v1/features '{"feature_service": "fraud_user", "entities": {"user_id": [1]}}'
stop_server

step "The whole flow as a batch pipeline (examples/fraud/pipeline.yaml): each step runs unless its inputs' versions are those of its last successful run" \
  "$keel" pipeline run "$root/examples/fraud/pipeline.yaml"
step "Again: nothing changed, so every step is cached (keel pipeline schedule runs it by cron)" \
  "$keel" pipeline run "$root/examples/fraud/pipeline.yaml"

printf '\nQuickstart finished. Workspace: %s\n' "$workspace"
