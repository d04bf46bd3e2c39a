// Times keel::transform on the issue's benchmark: 3 numeric columns with gaps,
// 2 categorical, 1 timestamp; impute (mean), scale (standard), one-hot, hour
// and day of week.
//
//   bench_transform_fit_apply [--n N] [--repeat R] [--out DIR]
//
// Prints rows "name implementation n seconds per_row": Pipeline::FitTransform
// on the table (best of R), FittedPipeline::Transform, and TransformRow per
// row (the serving path). With --out, writes the table as DIR/data.csv for
// the peer (timestamps as RFC 3339).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>

#include "keel/table/csv_writer.h"
#include "keel/table/table.h"
#include "keel/transform/pipeline.h"

namespace {

using keel::Column;
using keel::ColumnBuilder;
using keel::DataType;
using keel::Table;

constexpr char kSpec[] = R"(steps:
  - step: impute
    columns: [x1, x2, x3]
    strategy: mean
  - step: scale
    columns: [x1, x2, x3]
    method: standard
  - step: one_hot
    columns: [city, device]
    handle_unknown: ignore
  - step: datetime
    columns: [ts]
    features: [hour, dow]
)";

Table Generate(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(100, 30);
  ColumnBuilder x[3] = {ColumnBuilder(DataType::kFloat64), ColumnBuilder(DataType::kFloat64),
                        ColumnBuilder(DataType::kFloat64)};
  ColumnBuilder city(DataType::kString), device(DataType::kString), ts(DataType::kTimestamp);
  const char* devices[] = {"android", "ios", "web", "tablet"};
  char buf[32];
  for (int64_t i = 0; i < n; ++i) {
    for (int c = 0; c < 3; ++c) {
      if (rng() % 10 == 0) {
        x[c].AppendNull();
      } else {
        x[c].AppendFloat64(normal(rng) * (c + 1));
      }
    }
    std::snprintf(buf, sizeof(buf), "city_%02d", static_cast<int>(rng() % 50));
    city.AppendString(buf);
    device.AppendString(devices[rng() % 4]);
    ts.AppendTimestamp(1'600'000'000'000'000 +
                       static_cast<int64_t>(rng() % 100'000'000) * 1'000'000);
  }
  return *Table::Make(
      {"x1", "x2", "x3", "city", "device", "ts"},
      {x[0].Finish(), x[1].Finish(), x[2].Finish(), city.Finish(), device.Finish(), ts.Finish()});
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 1'000'000;
  int repeat = 3;
  std::string out;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--n") == 0) n = std::atoll(argv[i + 1]);
    if (std::strcmp(argv[i], "--repeat") == 0) repeat = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--out") == 0) out = argv[i + 1];
  }
  const Table table = Generate(n, 42);
  if (!out.empty()) {
    auto s = keel::WriteCsv(table, out + "/data.csv");
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  auto spec = keel::transform::PipelineSpec::Parse(kSpec, "bench.yaml");
  auto pipeline = keel::transform::Pipeline::Make(*spec);
  if (!pipeline.ok()) {
    std::fprintf(stderr, "%s\n", std::string(pipeline.status().message()).c_str());
    return 1;
  }
  double best_fit = 1e300, best_apply = 1e300;
  std::optional<keel::transform::FittedPipeline> fitted;
  int64_t out_columns = 0;
  for (int r = 0; r < repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    auto result = pipeline->FitTransform(table);
    best_fit = std::min(best_fit, Seconds(start));
    if (!result.ok()) {
      std::fprintf(stderr, "%s\n", std::string(result.status().message()).c_str());
      return 1;
    }
    out_columns = result->transformed.num_columns();
    fitted.emplace(std::move(result->pipeline));
    start = std::chrono::steady_clock::now();
    auto applied = fitted->Transform(table);
    best_apply = std::min(best_apply, Seconds(start));
  }
  std::printf("fit_transform keel %lld %.4f %.1f\n", static_cast<long long>(n), best_fit,
              best_fit / n * 1e9);
  std::printf("transform     keel %lld %.4f %.1f\n", static_cast<long long>(n), best_apply,
              best_apply / n * 1e9);

  // The serving path: set the six inputs, transform, read the outputs.
  keel::transform::Row row = fitted->NewRow();
  int idx[6];
  const char* names[] = {"x1", "x2", "x3", "city", "device", "ts"};
  for (int c = 0; c < 6; ++c) idx[c] = fitted->InputIndex(names[c]);
  const int64_t rows = std::min<int64_t>(n, 200'000);
  double checksum = 0;
  double best_row = 1e300;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < rows; ++i) {
      for (int c = 0; c < 3; ++c) {
        const Column& col = table.column(c);
        if (col.IsNull(i)) {
          row.SetNull(idx[c]);
        } else {
          row.SetFloat64(idx[c], col.Float64Values()[i]);
        }
      }
      row.SetString(idx[3], table.column(3).StringAt(i));
      row.SetString(idx[4], table.column(4).StringAt(i));
      row.SetTimestamp(idx[5], table.column(5).TimestampValues()[i]);
      if (!fitted->TransformRow(&row).ok()) return 1;
      checksum += row.output(0).f64;
    }
    best_row = std::min(best_row, Seconds(start));
  }
  std::printf("transform_row keel %lld %.4f %.1f\n", static_cast<long long>(rows), best_row,
              best_row / rows * 1e9);
  std::fprintf(stderr, "output columns %lld, checksum %g\n", static_cast<long long>(out_columns),
               checksum);
  return 0;
}
