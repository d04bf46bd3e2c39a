#!/usr/bin/env bash
# Online store point reads (one entity, 10 features: float64 and int64):
# RedisOnlineStore::Read against a bare hiredis `HGETALL key` on the same
# throwaway redis-server (Debian's redis-server, started by the benchmark on
# a free loopback port), same connection setup, same random keys, one
# client thread; then the embedded store (RocksDB) in process: write
# throughput in materialisation-sized batches and single-entity reads.
#
#   bench/online_read/run.sh BUILD_DIR
#
# Environment: KEEL_BENCH_ENTITIES written to Redis (100000),
# KEEL_BENCH_ITERATIONS reads per side (100000), KEEL_BENCH_EMBEDDED_ROWS
# written to the embedded store in batches of 10k (1000000). Prints
# "online_write <store> keel ROWS rows R rows/s" and "online_read <store>
# <impl> entities iterations p50_us p99_us mean_us" lines, then "ratio
# keel/bare" (target <= 1.3) and the embedded p99 target (<= 50 us).
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh" "$@"
n="${KEEL_BENCH_ENTITIES:-100000}"
r="${KEEL_BENCH_ITERATIONS:-100000}"
m="${KEEL_BENCH_EMBEDDED_ROWS:-1000000}"

if [[ ! -x /usr/bin/redis-server ]]; then
  echo "online_read: /usr/bin/redis-server is missing; install Debian's redis-server (make deps)" >&2
  exit 2
fi
redis_version="$(/usr/bin/redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')"
echo "peer: redis-server $redis_version, hiredis $(dpkg-query -W -f '${Version}' libhiredis-dev 2>/dev/null || echo '?')"
echo "name        store    impl  entities iterations p50_us p99_us mean_us"
TMPDIR="$data" "$bin" --entities "$n" --iterations "$r" --embedded-rows "$m"
