// Times keel::features::PointInTimeJoin on generated data: entity rows (user,
// at) and feature rows (user, ts, created, f1, v) with the TTL of 7 days. The
// generator is splitmix64 of (row, stream), which peer_pandas.py repeats
// exactly, so both sides join the same tables.
//
//   bench_pit_join [--entities N] [--features M] [--repeat R]
//   bench_pit_join [--entities N] [--features M] --write DIR
//
// --write: writes the same tables as DIR/entities.parquet and
// DIR/features.parquet (keel::WriteParquet, timestamps as UTC microseconds)
// for peer_node.mjs, and exits without joining (the timed run is a separate
// process, so writing does not count in its peak memory).
//
// Prints one row "pit_join keel N M seconds peak_rss_mb matched v_sum":
// the best of R joins, the process's peak resident memory, and a checksum of
// the result (rows with features, sum of the matched v) that run.sh compares
// with pandas'.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "keel/features/point_in_time.h"
#include "keel/table/parquet_writer.h"
#include "keel/table/table.h"

namespace {

using keel::ColumnBuilder;
using keel::DataType;
using keel::Table;

constexpr int64_t kBase = 1'700'000'000'000'000;  // µs
constexpr int64_t kSpan = 30 * 86'400'000'000LL;  // 30 days
constexpr int64_t kTtl = 7 * 86'400'000'000LL;

uint64_t H(uint64_t i, uint64_t stream) {
  uint64_t z = i * 0x9E3779B97F4A7C15ULL + stream * 0xD1B54A32D192ED03ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

Table Features(int64_t m, int64_t users) {
  ColumnBuilder user(DataType::kInt64), ts(DataType::kTimestamp), created(DataType::kTimestamp),
      f1(DataType::kFloat64), v(DataType::kInt64);
  for (ColumnBuilder* b : {&user, &ts, &created, &f1, &v}) b->Reserve(m);
  for (int64_t i = 0; i < m; ++i) {
    const int64_t t = kBase + static_cast<int64_t>(H(i, 2) % kSpan);
    user.AppendInt64(static_cast<int64_t>(H(i, 1) % users));
    ts.AppendTimestamp(t);
    created.AppendTimestamp(t + static_cast<int64_t>(H(i, 3) % 1000));
    f1.AppendFloat64(static_cast<double>(H(i, 4) >> 11) * 0x1.0p-53);
    v.AppendInt64(i);
  }
  return *Table::Make({"user", "ts", "created", "f1", "v"},
                      {user.Finish(), ts.Finish(), created.Finish(), f1.Finish(), v.Finish()});
}

Table Entities(int64_t n, int64_t users) {
  ColumnBuilder user(DataType::kInt64), at(DataType::kTimestamp);
  user.Reserve(n);
  at.Reserve(n);
  for (int64_t j = 0; j < n; ++j) {
    user.AppendInt64(static_cast<int64_t>(H(j, 5) % (users + users / 10)));
    at.AppendTimestamp(kBase + static_cast<int64_t>(H(j, 6) % kSpan));
  }
  return *Table::Make({"user", "at"}, {user.Finish(), at.Finish()});
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 1'000'000, m = 10'000'000;
  int repeat = 3;
  std::string write_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--write")) write_dir = argv[i + 1];
    if (!std::strcmp(argv[i], "--entities")) n = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--features")) m = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--repeat")) repeat = std::atoi(argv[i + 1]);
  }
  const int64_t users = std::max<int64_t>(1, n / 10);
  const Table features = Features(m, users);
  const Table entities = Entities(n, users);
  if (!write_dir.empty()) {
    for (const auto& [table, file] :
         {std::pair{&entities, "/entities.parquet"}, std::pair{&features, "/features.parquet"}}) {
      const keel::Status written = keel::WriteParquet(*table, write_dir + file);
      if (!written.ok()) {
        std::fprintf(stderr, "bench_pit_join: %s\n", std::string(written.message()).c_str());
        return 1;
      }
    }
    return 0;
  }
  keel::features::PointInTimeOptions options;
  options.join_keys = {"user"};
  options.entity_time = "at";
  options.feature_time = "ts";
  options.created_time = "created";
  options.ttl_us = kTtl;
  double best = 1e30;
  Table out;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    keel::StatusOr<Table> joined = keel::features::PointInTimeJoin(entities, features, options);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!joined.ok()) {
      std::fprintf(stderr, "bench_pit_join: %s\n", std::string(joined.status().message()).c_str());
      return 1;
    }
    best = std::min(best, s);
    out = *std::move(joined);
  }
  const keel::Column v = *out.ColumnByName("v");
  int64_t matched = 0, v_sum = 0;
  for (int64_t i = 0; i < v.length(); ++i) {
    if (v.IsNull(i)) continue;
    ++matched;
    v_sum += v.Int64Values()[i];
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("pit_join keel %lld %lld %.3f %.0f %lld %lld\n", static_cast<long long>(n),
              static_cast<long long>(m), best, usage.ru_maxrss / 1024.0,
              static_cast<long long>(matched), static_cast<long long>(v_sum));
  return 0;
}
