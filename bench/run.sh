#!/usr/bin/env bash
# Runs Keel's benchmarks beside their peers and prints the ratios.
#
#   bench/run.sh [BUILD_DIR] [NAME...]    (default: build, every benchmark)
#
# Each benchmark is a folder bench/<name>/ with an executable run.sh that
# receives the build directory, times Keel and its strongest peer in the same
# run, and prints a table ending in "ratio" lines. Figures are recorded in
# docs/BENCHMARKS.md. Benchmarks are never part of `make test`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(cd "${1:-$here/../build}" && pwd)"
shift || true

names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  for dir in "$here"/*/; do
    [[ -x "$dir/run.sh" ]] && names+=("$(basename "$dir")")
  done
fi

for name in "${names[@]}"; do
  if [[ ! -x "$here/$name/run.sh" ]]; then
    echo "bench: no benchmark '$name' (have: $(cd "$here" && ls -d */ | tr -d / | tr '\n' ' '))" >&2
    exit 2
  fi
  echo "== $name"
  "$here/$name/run.sh" "$build"
  echo
done
