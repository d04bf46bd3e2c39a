// Parquet peer for keel/table/parquet_test.cc: Polars (nodejs-polars).
//   node parquet_polars.mjs read FILE           dump FILE as read by Polars
//   node parquet_polars.mjs write FILE CODEC    write a table with every type
//                                               and nulls, then dump FILE
// A dump is JSON {names, types, rows}: every value a string (datetimes as
// dates as microseconds since the epoch, floats widened to double) or null.
import pl from 'nodejs-polars';

const [mode, file, codec] = process.argv.slice(2);

function dump(path) {
  const df = pl.readParquet(path);
  const names = df.columns;
  const types = df.dtypes.map((t) => String(t));
  const exprs = names.map((name, i) => {
    let c = pl.col(name);
    if (types[i].includes('Date')) c = c.cast(pl.Datetime('us')).cast(pl.Int64);
    if (types[i].includes('Float32')) c = c.cast(pl.Float64);
    return c.cast(pl.Utf8).alias(name);
  });
  const strings = exprs.length ? df.select(...exprs) : df;
  const rows = strings.rows().map((row) => row.map((v) => (v === null || v === undefined ? null : String(v))));
  process.stdout.write(JSON.stringify({ names, types, rows }));
}

if (mode === 'read') {
  dump(file);
} else if (mode === 'write') {
  const n = 3000;
  const at = (f) => Array.from({ length: n }, (_, i) => f(i));
  const df = pl.DataFrame([
    pl.Series('id', at((i) => i), pl.Int64),
    pl.Series('b', at((i) => (i % 5 === 0 ? null : i % 3 === 0)), pl.Bool),
    pl.Series('n', at((i) => (i % 7 === 0 ? null : i * 1000003 - 50000)), pl.Int64),
    pl.Series('x', at((i) => (i % 4 === 0 ? null : i / 7)), pl.Float64),
    pl.Series('s', at((i) => (i % 6 === 0 ? null : i % 6 === 1 ? '' : `name_${i % 50}_é`)), pl.Utf8),
    pl.Series('ts', at((i) => (i % 9 === 0 ? null : 1704067200000000 + i * 1234567 - 900000000)), pl.Int64)
      .cast(pl.Datetime('us')),
  ]);
  df.writeParquet(file, { compression: codec });
  dump(file);
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
