// The two fastest CSV readers people use, timed on the same file as Keel:
// DuckDB's read_csv_auto (@duckdb/node-api) into an in-memory table, and
// Polars' readCSV (nodejs-polars) with date parsing on. Both infer types.
//
//   node peer_node.mjs FILE DATASET [REPEAT]
//
// Prints one row per peer like bench_csv_read's: dataset, implementation,
// rows, best seconds of REPEAT runs, MB/s.
import { statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import pl from 'nodejs-polars';

const [file, dataset, repeatText] = process.argv.slice(2);
const repeat = Number(repeatText ?? 3);
const megabytes = statSync(file).size / 1e6;

function row(name, rows, seconds) {
  const label = name.padEnd(28);
  console.log(`${dataset.padEnd(14)} ${label} ${String(rows).padStart(10)} ${seconds.toFixed(3).padStart(9)} s ` +
              `${(megabytes / seconds).toFixed(1).padStart(8)} MB/s`);
}

async function best(fn) {
  let bestSeconds = Infinity;
  let result;
  for (let i = 0; i < repeat; ++i) {
    const start = process.hrtime.bigint();
    result = await fn();
    bestSeconds = Math.min(bestSeconds, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return [result, bestSeconds];
}

const connection = await (await DuckDBInstance.create(':memory:')).connect();
const quoted = file.replaceAll("'", "''");
const [duckRows, duckSeconds] = await best(async () => {
  await connection.run(`CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv_auto('${quoted}')`);
  return Number((await connection.runAndReadAll('SELECT count(*) FROM t')).getRows()[0][0]);
});
row('duckdb read_csv_auto', duckRows, duckSeconds);

const [polarsRows, polarsSeconds] = await best(async () => pl.readCSV(file, { tryParseDates: true }).height);
row('polars readCSV', polarsRows, polarsSeconds);
