// Times Keel's gbdt training (GbdtLearner::Fit: the DMatrix, the boosting
// rounds through libxgboost, the compiled predictor) on generated data, and
// writes the same rows as CSV so that xgboost_train.py can time Python's
// xgboost.train on them with the same parameters.
//
//   bench_train_gbdt --csv FILE [--rows N] [--features F] [--trees K] [--depth D]
//                    [--threads T] [--repeat R]
//
// Prints "keel_fit_seconds S" (the best of R fits) and the parameters as
// "params {json}" for the Python side.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/common/synthetic_data.h"
#include "keel/learn/trees/xgboost_learner.h"

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_train_gbdt: %s\n", what.c_str());
  std::exit(1);
}

// CSV with f0..f{F-1},label; NaN as an empty field; %.17g round-trips.
void WriteCsv(const std::string& path, const keel::learn::Matrix& x, const std::vector<double>& y) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) Die("cannot write " + path);
  for (int64_t c = 0; c < x.cols(); ++c) std::fprintf(f, "f%lld,", static_cast<long long>(c));
  std::fprintf(f, "label\n");
  for (int64_t r = 0; r < x.rows(); ++r) {
    for (int64_t c = 0; c < x.cols(); ++c) {
      if (!std::isnan(x.at(r, c))) std::fprintf(f, "%.17g", x.at(r, c));
      std::fputc(',', f);
    }
    std::fprintf(f, "%d\n", static_cast<int>(y[r]));
  }
  if (std::fclose(f) != 0) Die("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  std::string csv;
  int64_t rows = 100000;
  int features = 58, trees = 100, depth = 6, threads = 1, repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--csv")
      csv = value;
    else if (flag == "--rows")
      rows = std::atoll(value.c_str());
    else if (flag == "--features")
      features = std::atoi(value.c_str());
    else if (flag == "--trees")
      trees = std::atoi(value.c_str());
    else if (flag == "--depth")
      depth = std::atoi(value.c_str());
    else if (flag == "--threads")
      threads = std::atoi(value.c_str());
    else if (flag == "--repeat")
      repeat = std::atoi(value.c_str());
    else
      Die("unknown flag " + flag);
  }
  if (csv.empty()) Die("--csv FILE is required");

  keel::learn::Matrix x;
  std::vector<double> y;
  keel::bench::GenerateBinary(rows, features, 1, &x, &y);
  WriteCsv(csv, x, y);

  keel::learn::trees::GbdtLearner learner;
  auto params = keel::learn::ParseParams(
      "gbdt", learner.params(),
      {"n_estimators=" + std::to_string(trees), "max_depth=" + std::to_string(depth)});
  if (!params.ok()) Die(std::string(params.status().message()));
  keel::learn::TrainData train{
      .x = x, .y = y, .task = keel::learn::Task::kBinary, .num_classes = 2};
  double best = 1e300;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    auto model = learner.Fit(train, *params, {.seed = 42, .threads = threads});
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!model.ok()) Die(std::string(model.status().message()));
    best = std::min(best, s);
  }
  std::printf("data: %lld rows, %d features; %d trees of depth %d; %d threads\n",
              static_cast<long long>(rows), features, trees, depth, threads);
  std::printf("keel_fit_seconds %.3f\n", best);
  // Keel's gbdt defaults, which Python must use too.
  std::printf(
      "params {\"objective\": \"binary:logistic\", \"eta\": 0.3, \"max_depth\": %d, "
      "\"min_child_weight\": 1, \"subsample\": 1, \"colsample_bytree\": 1, "
      "\"colsample_bynode\": 1, \"lambda\": 1, \"alpha\": 0, \"gamma\": 0, \"max_bin\": 256, "
      "\"tree_method\": \"hist\", \"seed\": 42, \"nthread\": %d, \"rounds\": %d}\n",
      depth, threads, trees);
  return 0;
}
