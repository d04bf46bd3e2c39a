#!/usr/bin/env bash
# Proves the README's two commands work on a fresh Debian 12: clones HEAD into
# a pristine bookworm chroot (debootstrap, minbase) and runs `make TARGET`
# there as root, with nothing installed beforehand but what minbase has.
#
#   scripts/check-fresh-debian.sh [TARGET...]   (default: test; e.g. quickstart test)
#
# Needs root and debootstrap (installed if missing). The pristine base system
# is cached in $KEEL_CHROOT_CACHE (default /var/tmp/keel-bookworm) and copied
# for each run, so runs never see each other's installs. Not part of `make test`.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "check-fresh-debian: run as root" >&2; exit 1; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${KEEL_CHROOT_CACHE:-/var/tmp/keel-bookworm}"
targets=("${@:-test}")

if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi
if [[ ! -x "$cache/bin/bash" ]]; then
  echo "check-fresh-debian: creating the pristine Debian 12 base in $cache"
  debootstrap --variant=minbase bookworm "$cache" http://deb.debian.org/debian >/dev/null
fi

work="$(mktemp -d /var/tmp/keel-fresh-XXXXXX)"
cleanup() {
  for m in dev/pts dev proc sys; do umount -l "$work/rootfs/$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cp -a "$cache" "$work/rootfs"
cp /etc/resolv.conf "$work/rootfs/etc/resolv.conf"
# The host's own trust: extra CA certificates (e.g. a TLS-inspecting proxy's)
# go where Debian's ca-certificates picks them up, and a copy of the host's
# bundle is handed to Node (npm) directly, so TLS registries work as on the host.
mkdir -p "$work/rootfs/usr/local/share/ca-certificates"
cp -a /usr/local/share/ca-certificates/. "$work/rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
cp /etc/ssl/certs/ca-certificates.crt "$work/rootfs/etc/keel-host-ca.crt" 2>/dev/null || true
for m in proc sys dev dev/pts; do mount --bind "/$m" "$work/rootfs/$m"; done
git clone -q "$root" "$work/rootfs/root/keel"

# minbase lacks make and git: the one step a person does before the README.
chroot "$work/rootfs" /bin/bash -c \
  'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make >/dev/null'
for target in "${targets[@]}"; do
  echo "check-fresh-debian: make $target"
  chroot "$work/rootfs" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    TERM=dumb NODE_EXTRA_CA_CERTS=/etc/keel-host-ca.crt /bin/bash -c "cd /root/keel && make $target"
done
echo "check-fresh-debian: OK (${targets[*]})"
