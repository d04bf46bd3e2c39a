# Sourced first by every bench/<name>/run.sh:
#   source "$(dirname "${BASH_SOURCE[0]}")/../common.sh" "$@"
# Sets: here (the benchmark's folder), build (the build directory, $1), bin
# (build/bench/<name>/bench_<name>, which must exist), repeat
# (KEEL_BENCH_REPEAT, default 3) and data (a temp folder removed on exit).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
name="$(basename "$here")"
build="$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)"
repeat="${KEEL_BENCH_REPEAT:-3}"
bin="$build/bench/$name/bench_$name"
if [[ ! -x "$bin" ]]; then
  echo "$name: $bin is missing; build it with 'cmake --build $build --target bench_$name'" >&2
  exit 2
fi
data="$(mktemp -d "${TMPDIR:-/tmp}/keel-bench-$name-XXXXXX")"
trap 'rm -rf "$data"' EXIT
