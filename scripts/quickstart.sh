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

printf '\nQuickstart finished. Workspace: %s\n' "$workspace"
