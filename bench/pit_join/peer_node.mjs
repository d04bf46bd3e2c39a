// Polars' joinAsof (nodejs-polars) or DuckDB's ASOF LEFT JOIN
// (@duckdb/node-api) on the tables bench_pit_join --write put in DIR
// (entities.parquet: user, at; features.parquet: user, ts, created, f1, v;
// timestamps UTC microseconds). Reading the files is not timed; the join is,
// with the sorts it needs, as pandas' timing includes its sorts.
//
//   node peer_node.mjs polars|duckdb|duckdb_tiebreak DIR N M [REPEAT]
//
// Prints "pit_join PEER N M seconds peak_rss_mb matched v_sum" like
// bench_pit_join (best of REPEAT; peak resident memory of the process, VmHWM,
// which includes Node itself and the peer's copy of the data). Run one peer
// per process so that their memory does not mix.
//
// Semantics, as Keel's (the latest row with ts <= at and at - ts <= 7 days;
// among equal ts the greatest created, then the later row in the file):
//   polars: the entities sorted by at, the features stably sorted by
//     [ts, created] (maintainOrder), then joinAsof(by user, backward,
//     tolerance "7d"; inclusive, checked on hand-made edge cases). A backward
//     asof takes the last of equal keys, so the sort order breaks ties.
//   duckdb: ASOF LEFT JOIN on user = user AND at >= ts. Among rows with
//     equal ts DuckDB takes any one (on a hand-made tie it took the first
//     created, not the last), so this form is only the same join where no
//     two feature rows of a user share a ts: it checks that first (not
//     timed) and refuses otherwise. The seeded data has no such rows (ts is
//     random to the microsecond over 30 days).
//   duckdb_tiebreak: the inequality is on the struct {ts, created, v} (v is
//     the row's position in the file) against {at, +infinity, max int64},
//     which orders candidates exactly as Keel does, ties or not; slower.
//   Both: DuckDB's ASOF has no tolerance, so the best candidate's features
//     are nulled when at - ts exceeds the TTL (the best candidate is the
//     latest eligible row, so no older row can be within the TTL either).
//     The whole output (entity columns, f1, v) is materialized into a table
//     inside the timed region; DuckDB's default threads (all cores).
import { readFileSync } from 'node:fs';

const [peer, dir, n, m, repeatText] = process.argv.slice(2);
const repeat = Number(repeatText ?? 3);
const TTL_US = 7n * 86_400_000_000n;

function peakRssMb() {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(line.split(/\s+/)[1]) / 1024;
}

async function best(fn) {
  let bestSeconds = Infinity;
  let result;
  for (let i = 0; i < repeat; ++i) {
    result = undefined;
    const start = process.hrtime.bigint();
    result = await fn();
    bestSeconds = Math.min(bestSeconds, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return [result, bestSeconds];
}

function report(seconds, matched, vSum) {
  console.log(`pit_join ${peer} ${n} ${m} ${seconds.toFixed(3)} ${peakRssMb().toFixed(0)} ${matched} ${vSum}`);
}

if (peer === 'polars') {
  const { default: pl } = await import('nodejs-polars');
  const entities = pl.readParquet(`${dir}/entities.parquet`);
  const features = pl.readParquet(`${dir}/features.parquet`);
  const [out, seconds] = await best(async () =>
    entities.sort('at').joinAsof(features.sort({ by: ['ts', 'created'], maintainOrder: true }), {
      leftOn: 'at', rightOn: 'ts', by: 'user', strategy: 'backward', tolerance: '7d',
      checkSortedness: false,  // sorted just above; with `by` it can only warn
    }));
  const v = out.getColumn('v');
  const matched = out.height - v.nullCount();
  // Exact as text: Series.get(0) of an Int64 sum wraps to 32 bits in 0.24.1.
  const vSum = BigInt(out.select(pl.col('v').sum().cast(pl.Utf8)).getColumn('v').get(0));
  report(seconds, matched, vSum);
} else if (peer === 'duckdb' || peer === 'duckdb_tiebreak') {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  await connection.run(`SET TimeZone = 'UTC'`);
  for (const name of ['entities', 'features']) {
    const path = `${dir}/${name}.parquet`.replaceAll("'", "''");
    await connection.run(`CREATE TABLE ${name} AS FROM read_parquet('${path}')`);
  }
  let inequality = `e."at" >= f.ts`;
  if (peer === 'duckdb') {
    // ASOF on ts alone is only defined where no two feature rows of a user
    // share a ts: check (not timed).
    const [[ties]] = (await connection.runAndReadAll(
      'SELECT count(*) - count(DISTINCT ("user", ts)) FROM features')).getRows();
    if (ties !== 0n) {
      console.error(`peer_node: ${ties} feature rows repeat a (user, ts); DuckDB's ASOF on ts picks ` +
                    'any of them: use duckdb_tiebreak');
      process.exit(1);
    }
  } else {
    inequality = `{'t': e."at", 'c': 'infinity'::TIMESTAMPTZ, 'v': 9223372036854775807::BIGINT}
                  >= {'t': f.ts, 'c': f.created, 'v': f.v}`;
  }
  const within = `epoch_us(e."at") - epoch_us(f.ts) <= ${TTL_US}`;
  const [, seconds] = await best(() => connection.run(`
    CREATE OR REPLACE TABLE joined AS
    SELECT e."user", e."at",
           CASE WHEN ${within} THEN f.f1 END AS f1,
           CASE WHEN ${within} THEN f.v END AS v
    FROM entities e ASOF LEFT JOIN features f ON e."user" = f."user" AND ${inequality}`));
  const [[matched, vSum]] =
    (await connection.runAndReadAll('SELECT count(v), coalesce(sum(v), 0) FROM joined')).getRows();
  report(seconds, matched, vSum);
} else {
  console.error('usage: node peer_node.mjs polars|duckdb|duckdb_tiebreak DIR N M [REPEAT]');
  process.exit(2);
}
