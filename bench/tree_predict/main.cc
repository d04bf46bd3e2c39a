// Times Keel's compiled tree predictor against XGBoost's own predictor on
// the same model, in one process.
//
//   bench_tree_predict [--rows N] [--repeat R] [--threads T] [--trees K] [--depth D]
//                      [--features F]
//
// Trains a binary gbdt (K=100 trees of depth D=6) on 20k generated rows of
// F=58 features, then scores N (1M) fresh rows with 5% NaN: Keel's
// TreePredictor from doubles over T threads, XGBoost's predictor on a
// prebuilt DMatrix and in place on a float array (XGBoosterPredictFromDense),
// each the best of R runs; then single-row latency (Keel PredictRow against
// XGBoosterPredictFromDense of one row, nthread=1). Checks the outputs
// agree and prints "ratio" lines (> 1: Keel faster).
#include <xgboost/c_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "bench/common/synthetic_data.h"
#include "keel/base/thread_pool.h"
#include "keel/learn/trees/xgboost_learner.h"
#include "keel/learn/trees/xgboost_model.h"

namespace {

using keel::learn::Matrix;

int features = 58;  // --features

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_tree_predict: %s\n", what.c_str());
  std::exit(1);
}

void Check(int rc, const char* what) {
  if (rc != 0) Die(std::string(what) + ": " + XGBGetLastError());
}

double Seconds(const std::function<void()>& fn, int repeat) {
  double best = 1e300;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

std::string ArrayInterface(const float* data, int64_t rows) {
  char buffer[200];
  std::snprintf(buffer, sizeof(buffer),
                R"({"data": [%llu, true], "shape": [%lld, %d], "typestr": "<f4", "version": 3})",
                static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(data)),
                static_cast<long long>(rows), features);
  return buffer;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 1000000;
  int repeat = 3, threads = 0, trees = 100, depth = 6;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const long long value = std::atoll(argv[i + 1]);
    if (flag == "--rows")
      rows = value;
    else if (flag == "--repeat")
      repeat = static_cast<int>(value);
    else if (flag == "--threads")
      threads = static_cast<int>(value);
    else if (flag == "--trees")
      trees = static_cast<int>(value);
    else if (flag == "--depth")
      depth = static_cast<int>(value);
    else if (flag == "--features")
      features = static_cast<int>(value);
    else
      Die("unknown flag " + flag);
  }
  if (threads <= 0) threads = static_cast<int>(keel::DefaultThreadCount());

  Matrix train_x;
  std::vector<double> train_y;
  keel::bench::GenerateBinary(20000, features, 1, &train_x, &train_y);
  keel::learn::trees::GbdtLearner learner;
  auto params = keel::learn::ParseParams(
      "gbdt", learner.params(),
      {"n_estimators=" + std::to_string(trees), "max_depth=" + std::to_string(depth)});
  if (!params.ok()) Die(std::string(params.status().message()));
  keel::learn::TrainData train{
      .x = train_x, .y = train_y, .task = keel::learn::Task::kBinary, .num_classes = 2};
  auto trained = learner.Fit(train, *params, {.threads = threads});
  if (!trained.ok()) Die(std::string(trained.status().message()));
  const auto& model = static_cast<const keel::learn::trees::XGBoostModel&>(**trained);
  const keel::learn::trees::TreePredictor& predictor = model.predictor();
  std::printf("model: %lld trees, depth %d, %d features; %lld rows, %d threads\n",
              static_cast<long long>(predictor.num_trees()), depth, features,
              static_cast<long long>(rows), threads);

  // XGBoost's own booster, loaded from the same JSON.
  auto json = model.Save();
  if (!json.ok()) Die("save");
  BoosterHandle booster = nullptr;
  Check(XGBoosterCreate(nullptr, 0, &booster), "create");
  Check(XGBoosterLoadModelFromBuffer(booster, json->data(), json->size()), "load");
  Check(XGBoosterSetParam(booster, "nthread", std::to_string(threads).c_str()), "nthread");

  Matrix x;
  std::vector<double> unused;
  keel::bench::GenerateBinary(rows, features, 2, &x, &unused);
  std::vector<float> xf(x.data(), x.data() + rows * features);

  keel::ThreadPool pool(std::max(1, threads - 1));  // the caller is the other thread
  Matrix keel_out;
  double keel_s = 0;
  if (threads == 1) {
    // One thread: blocks of 1,024 rows (one ParallelFor chunk, so it runs
    // inline on the caller), split before the clock starts.
    constexpr int64_t kBlock = 1024;
    std::vector<Matrix> blocks, outs;
    for (int64_t b = 0; b < rows; b += kBlock)
      blocks.push_back(x.RowRange(b, std::min(rows, b + kBlock)));
    outs.resize(blocks.size());
    keel_s = Seconds(
        [&] {
          for (size_t b = 0; b < blocks.size(); ++b) {
            (void)predictor.Predict(blocks[b], &outs[b], false, &pool);
          }
        },
        repeat);
    keel_out = Matrix(rows, 1);
    for (size_t b = 0; b < blocks.size(); ++b) {
      for (int64_t r = 0; r < outs[b].rows(); ++r)
        keel_out.at(b * kBlock + r, 0) = outs[b].at(r, 0);
    }
  } else {
    keel_s = Seconds([&] { (void)predictor.Predict(x, &keel_out, false, &pool); }, repeat);
  }

  // A fresh DMatrix per run: XGBoost caches predictions per DMatrix.
  DMatrixHandle dmatrix = nullptr;
  double build_s = 1e300;
  double dmatrix_s = 1e300;
  const char* config =
      R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false, "missing": NaN, "cache_id": 0})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  std::vector<float> xgb_out;
  for (int r = 0; r < repeat; ++r) {
    if (dmatrix != nullptr) XGDMatrixFree(dmatrix);
    build_s =
        std::min(build_s, Seconds(
                              [&] {
                                Check(XGDMatrixCreateFromMat_omp(xf.data(), rows, features,
                                                                 std::nanf(""), &dmatrix, threads),
                                      "dmatrix");
                              },
                              1));
    dmatrix_s = std::min(
        dmatrix_s,
        Seconds(
            [&] {
              Check(XGBoosterPredictFromDMatrix(booster, dmatrix, config, &shape, &dim, &result),
                    "predict");
              xgb_out.assign(result, result + rows);
            },
            1));
  }
  const std::string array = ArrayInterface(xf.data(), rows);
  const double inplace_s = Seconds(
      [&] {
        Check(XGBoosterPredictFromDense(booster, array.c_str(), config, nullptr, &shape, &dim,
                                        &result),
              "inplace predict");
      },
      repeat);
  double diff = 0;
  for (int64_t r = 0; r < rows; ++r) {
    diff = std::max(diff, std::abs(keel_out.at(r, 0) - static_cast<double>(xgb_out[r])));
  }
  const double xgb_best = std::min(dmatrix_s, inplace_s);
  std::printf("%-34s %8.3f s %12.0f rows/s\n", "keel compiled (from doubles)", keel_s,
              rows / keel_s);
  std::printf("%-34s %8.3f s %12.0f rows/s  (+%.3f s DMatrix build)\n", "xgboost predict (DMatrix)",
              dmatrix_s, rows / dmatrix_s, build_s);
  std::printf("%-34s %8.3f s %12.0f rows/s\n", "xgboost inplace predict (floats)", inplace_s,
              rows / inplace_s);
  std::printf("max |keel - xgboost| %.3g\n", diff);
  std::printf("ratio batch xgboost_best/keel %.2f\n", xgb_best / keel_s);

  // Single rows, one thread each.
  Check(XGBoosterSetParam(booster, "nthread", "1"), "nthread");
  const int64_t single = std::min<int64_t>(rows, 20000);
  double sink = 0;
  const double keel_row_s = Seconds(
      [&] {
        double out = 0;
        for (int64_t r = 0; r < single; ++r) {
          (void)predictor.PredictRow(x.row(r), {&out, 1});
          sink += out;
        }
      },
      repeat);
  std::vector<std::string> rows_json;
  for (int64_t r = 0; r < single; ++r) rows_json.push_back(ArrayInterface(&xf[r * features], 1));
  const double xgb_row_s = Seconds(
      [&] {
        for (int64_t r = 0; r < single; ++r) {
          Check(XGBoosterPredictFromDense(booster, rows_json[r].c_str(), config, nullptr, &shape,
                                          &dim, &result),
                "row predict");
          sink += result[0];
        }
      },
      repeat);
  std::printf("%-34s %8.2f us/row\n", "keel PredictRow", keel_row_s / single * 1e6);
  std::printf("%-34s %8.2f us/row\n", "xgboost inplace predict, 1 row", xgb_row_s / single * 1e6);
  std::printf("ratio single_row xgboost/keel %.1f\n", xgb_row_s / keel_row_s);
  if (sink == 12345.678) std::printf(" ");
  XGDMatrixFree(dmatrix);
  XGBoosterFree(booster);
  return diff <= 1e-6 ? 0 : 1;
}
