#!/usr/bin/env bash
# Installs every Debian package that Keel's build, tests and benchmarks need.
# Idempotent: asks apt only for what is missing, runs `apt-get update` only
# then, and prints nothing when everything is present.
#
# Also installs the npm packages in package-lock.json (test servers and
# benchmark peers that Debian lacks) when node_modules is missing or stale.
#
# Usage: scripts/install-deps.sh [--check]   (--check: list missing, exit 1 if any)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
list="$here/debian-packages.txt"

root="$(cd "$here/.." && pwd)"

# debian-packages.txt: one package per line, '#' starts a comment. A line
# "PACKAGE COMMAND" means: needed only when COMMAND is not on the PATH (so a
# Node.js from elsewhere that already brings npm is left alone).
missing=()
while read -r pkg cmd _; do
  [[ -z "$pkg" ]] && continue
  if [[ -n "${cmd:-}" ]] && command -v "$cmd" >/dev/null 2>&1; then continue; fi
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done < <(sed -e 's/#.*//' "$list")

# npm packages (package.json at the root): only what Debian lacks, for tests
# and benchmarks. Installed from the lock file when node_modules is stale.
npm_stale=0
if [[ -f "$root/package-lock.json" ]]; then
  stamp="$root/node_modules/.package-lock.json"
  if [[ ! -f "$stamp" || "$root/package-lock.json" -nt "$stamp" ]]; then npm_stale=1; fi
fi

if [[ "${1:-}" == "--check" ]]; then
  [[ ${#missing[@]} -eq 0 && $npm_stale -eq 0 ]] && exit 0
  [[ ${#missing[@]} -gt 0 ]] && printf 'missing Debian packages: %s\n' "${missing[*]}"
  [[ $npm_stale -eq 1 ]] && echo "npm packages: node_modules is missing or older than package-lock.json"
  exit 1
fi

[[ ${#missing[@]} -eq 0 && $npm_stale -eq 0 ]] && exit 0

sudo=""
if [[ ${#missing[@]} -gt 0 && $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "install-deps: installing ${#missing[@]} Debian package(s): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [[ $npm_stale -eq 1 ]]; then
  echo "install-deps: installing npm packages from package-lock.json"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$root/node_modules/.package-lock.json"
fi
[[ ${#missing[@]} -gt 0 || $npm_stale -eq 1 ]] && echo "install-deps: done"
exit 0
