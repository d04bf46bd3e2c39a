// Parquet peer for keel/table/parquet_test.cc: DuckDB (@duckdb/node-api).
//   node parquet_duckdb.mjs read FILE           dump FILE as read by DuckDB
//   node parquet_duckdb.mjs write FILE CODEC [V1|V2]
//                                               write a table with every type
//                                               and nulls (data pages v1 or
//                                               v2), then dump FILE
//   node parquet_duckdb.mjs nested FILE         write a STRUCT column
// A dump is JSON {names, types, rows}: every value a string (timestamps and
// dates as microseconds since the epoch, floats widened to double) or null.
import { DuckDBInstance } from '@duckdb/node-api';

const [mode, file, codec, version = 'V1'] = process.argv.slice(2);
const connection = await (await DuckDBInstance.create(':memory:')).connect();
await connection.run("SET TimeZone = 'UTC'");
const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const ident = (s) => `"${s.replaceAll('"', '""')}"`;

async function dump(path) {
  const source = `read_parquet(${quote(path)})`;
  const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRows();
  const names = described.map((r) => r[0]);
  const types = described.map((r) => r[1]);
  const exprs = names.map((name, i) => {
    const c = ident(name);
    const t = types[i];
    if (t.startsWith('TIMESTAMP')) return `CAST(epoch_us(${c}) AS VARCHAR)`;
    if (t === 'DATE') return `CAST(epoch_us(CAST(${c} AS TIMESTAMP)) AS VARCHAR)`;
    if (t === 'FLOAT') return `CAST(CAST(${c} AS DOUBLE) AS VARCHAR)`;
    return `CAST(${c} AS VARCHAR)`;
  });
  const select = exprs.length ? exprs.join(', ') : '*';
  const rows = (await connection.runAndReadAll(`SELECT ${select} FROM ${source}`)).getRows();
  process.stdout.write(JSON.stringify({ names, types, rows }));
}

if (mode === 'read') {
  await dump(file);
} else if (mode === 'write') {
  await connection.run(`CREATE TABLE t AS SELECT
      i AS id,
      CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
      CASE WHEN i % 7 = 0 THEN NULL ELSE i * 1000000007 - 50000 END AS n,
      CASE WHEN i % 4 = 0 THEN NULL ELSE i / 7.0 END AS x,
      CASE WHEN i % 6 = 0 THEN NULL WHEN i % 6 = 1 THEN '' ELSE 'name_' || (i % 50) || '_é' END AS s,
      CASE WHEN i % 9 = 0 THEN NULL
           ELSE TIMESTAMP '2024-01-01 00:00:00' + to_microseconds(i * 1234567 - 900000000) END AS ts,
      CAST(i - 100 AS INTEGER) AS i32,
      CAST(i / 4 AS FLOAT) AS f32,
      DATE '2020-01-01' + CAST(i AS INTEGER) AS d
    FROM range(3000) r(i)`);
  await connection.run(
    `COPY t TO ${quote(file)} (FORMAT PARQUET, COMPRESSION ${codec}, ROW_GROUP_SIZE 1000, PARQUET_VERSION ${version})`);
  await dump(file);
} else if (mode === 'nested') {
  await connection.run(
    `COPY (SELECT 1 AS id, {'a': 1, 'b': 'x'} AS point) TO ${quote(file)} (FORMAT PARQUET)`);
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
