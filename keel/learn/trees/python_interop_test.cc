// Models cross the language boundary both ways: what Keel saves loads in
// Python's xgboost (python3-xgboost) and predicts the same, and what Python
// trains imports into Keel and predicts the same. Skipped when
// /usr/bin/python3 has no xgboost.
#include <cmath>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/learn/trees/test_data.h"
#include "keel/learn/trees/xgboost_learner.h"
#include "keel/learn/trees/xgboost_model.h"
#include "nlohmann/json.hpp"

namespace keel::learn::trees {
namespace {

using ::testing::HasSubstr;

constexpr char kPython[] = "/usr/bin/python3";
constexpr double kTolerance = 1e-6;

bool HaveXGBoost() { return testing::RunCommand({kPython, "-c", "import xgboost"}).exit_code == 0; }

// Runs `script` with argv; returns stdout parsed as JSON (fails the test on error).
nlohmann::json RunPython(const std::string& script, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kPython, "-c", script};
  argv.insert(argv.end(), args.begin(), args.end());
  testing::CommandResult result = testing::RunCommand(argv, {.timeout_seconds = 120});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  if (result.exit_code != 0) return nullptr;
  return nlohmann::json::parse(result.out);
}

double MaxAbsDiff(const Matrix& keel, const nlohmann::json& python) {
  EXPECT_EQ(static_cast<int64_t>(python.size()), keel.rows() * keel.cols());
  double diff = 0;
  for (int64_t i = 0; i < keel.rows() * keel.cols() && i < static_cast<int64_t>(python.size());
       ++i) {
    diff = std::max(diff, std::abs(keel.data()[i] - python[i].get<double>()));
  }
  return diff;
}

constexpr char kPredictScript[] = R"(
import json, sys
import numpy as np, xgboost as xgb
booster = xgb.Booster(model_file=sys.argv[1])
x = np.loadtxt(sys.argv[2], delimiter=',', ndmin=2)
d = xgb.DMatrix(x, missing=np.nan, feature_names=booster.feature_names)
print(json.dumps({"pred": [float(v) for v in booster.predict(d).reshape(-1)],
                  "num_features": booster.num_features(),
                  "feature_names": booster.feature_names or []}))
)";

TEST(PythonInteropTest, KeelModelsLoadAndPredictTheSameInPython) {
  if (!HaveXGBoost()) GTEST_SKIP() << "python3-xgboost is not installed";
  testing::TempDir dir;
  struct Case {
    const char* name;
    const Learner* learner;
    Task task;
    int classes;
  };
  GbdtLearner gbdt;
  RandomForestLearner rf;
  for (const Case& c :
       {Case{"binary", &gbdt, Task::kBinary, 2}, Case{"multiclass", &gbdt, Task::kMulticlass, 3},
        Case{"regression", &gbdt, Task::kRegression, 0}, Case{"forest", &rf, Task::kBinary, 2}}) {
    SCOPED_TRACE(c.name);
    const TestData data = MakeTestData(2000, 7, c.task, c.classes, 11);
    StatusOr<Params> params =
        ParseParams(c.learner->name(), c.learner->params(), {"n_estimators=40"});
    ASSERT_TRUE(params.ok());
    TrainData train{.x = data.x,
                    .y = data.y,
                    .task = c.task,
                    .num_classes = c.classes,
                    .feature_names = data.names};
    StatusOr<std::unique_ptr<Model>> model = c.learner->Fit(train, *params, {});
    ASSERT_TRUE(model.ok()) << model.status();
    StatusOr<std::string> json = (*model)->Save();
    ASSERT_TRUE(json.ok());
    const std::string model_path = dir.path() + "/" + c.name + ".json";
    const std::string csv_path = dir.path() + "/" + c.name + ".csv";
    WriteTextFile(model_path, *json);
    const Matrix x = MakeTestData(3000, 7, c.task, c.classes, 12, 0.25).x;
    WriteTextFile(csv_path, MatrixToCsv(x));
    const nlohmann::json python = RunPython(kPredictScript, {model_path, csv_path});
    ASSERT_FALSE(python.is_null());
    EXPECT_EQ(python["num_features"], 7);
    EXPECT_EQ(python["feature_names"], nlohmann::json(data.names));
    Matrix keel;
    ASSERT_TRUE((*model)->Predict(x, &keel).ok());
    const double diff = MaxAbsDiff(keel, python["pred"]);
    EXPECT_LE(diff, kTolerance);
    std::printf("%s: max |keel - python xgboost| = %.3g over %lld values\n", c.name, diff,
                static_cast<long long>(keel.rows() * keel.cols()));
  }
}

constexpr char kTrainScript[] = R"(
import json, sys
import numpy as np, xgboost as xgb
out, objective = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(5)
x = rng.normal(size=(1500, 6))
x[rng.random(x.shape) < 0.15] = np.nan
s = np.nan_to_num(x[:, 0]) + np.nan_to_num(x[:, 1]) ** 2 - np.nan_to_num(x[:, 2])
params = {"objective": objective, "max_depth": 5, "eta": 0.3, "seed": 1}
if objective == "multi:softprob":
    y = np.digitize(s, [-0.5, 0.5, 1.5]); params["num_class"] = 4
elif objective == "binary:logistic":
    y = (s > 0.5).astype(float); params["base_score"] = 0.3
else:
    y = s * 10
names = ["age", "income", "score", "tenure", "visits", "clicks"]
booster = xgb.train(params, xgb.DMatrix(x, y, feature_names=names), 25)
booster.save_model(out + ".json")
booster.save_model(out + ".ubj")
test = rng.normal(size=(2000, 6))
test[rng.random(test.shape) < 0.2] = np.nan
np.savetxt(out + ".csv", test, delimiter=",", fmt="%.17g")
pred = booster.predict(xgb.DMatrix(test, feature_names=names))
print(json.dumps({"pred": [float(v) for v in pred.reshape(-1)]}))
)";

TEST(PythonInteropTest, PythonModelsImportAndPredictTheSame) {
  if (!HaveXGBoost()) GTEST_SKIP() << "python3-xgboost is not installed";
  testing::TempDir dir;
  const std::pair<const char*, Task> cases[] = {{"binary:logistic", Task::kBinary},
                                                {"multi:softprob", Task::kMulticlass},
                                                {"reg:squarederror", Task::kRegression}};
  for (const auto& [objective, task] : cases) {
    SCOPED_TRACE(objective);
    const std::string base = dir.path() + "/model" + std::to_string(static_cast<int>(task));
    const nlohmann::json python = RunPython(kTrainScript, {base, objective});
    ASSERT_FALSE(python.is_null());
    StatusOr<std::string> csv = ReadFile(base + ".csv");
    ASSERT_TRUE(csv.ok());
    // np.savetxt writes "nan"; parse the numbers back the simple way.
    Matrix x(2000, 6);
    const char* p = csv->c_str();
    for (int64_t i = 0; i < 2000 * 6; ++i) {
      char* end = nullptr;
      x.data()[i] = std::strtod(p, &end);
      p = end + 1;
    }
    for (const char* extension : {".json", ".ubj"}) {
      SCOPED_TRACE(extension);
      StatusOr<std::unique_ptr<XGBoostModel>> model = ImportXGBoostModelFile(base + extension);
      ASSERT_TRUE(model.ok()) << model.status();
      EXPECT_EQ((*model)->task(), task);
      EXPECT_EQ((*model)->num_features(), 6);
      EXPECT_EQ((*model)->feature_names(),
                (std::vector<std::string>{"age", "income", "score", "tenure", "visits", "clicks"}));
      Matrix keel;
      ASSERT_TRUE((*model)->Predict(x, &keel).ok());
      const double diff = MaxAbsDiff(keel, python["pred"]);
      EXPECT_LE(diff, kTolerance);
      std::printf("%s%s: max |keel - python xgboost| = %.3g\n", objective, extension, diff);
    }
  }
}

TEST(PythonInteropTest, ImportErrorsSayWhatIsWrong) {
  testing::TempDir dir;
  StatusOr<std::unique_ptr<XGBoostModel>> missing = ImportXGBoostModelFile(dir.path() + "/no.json");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  const std::string garbage = dir.path() + "/garbage.json";
  WriteTextFile(garbage, R"({"learner": {"gradient_booster": )");
  StatusOr<std::unique_ptr<XGBoostModel>> damaged = ImportXGBoostModelFile(garbage);
  EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(damaged.status().message()), HasSubstr(garbage));
}

constexpr char kEarlyStoppingScript[] = R"(
import json, sys
import numpy as np, xgboost as xgb
x, y, vx, vy = (np.loadtxt(f, delimiter=",", ndmin=2) for f in sys.argv[1:5])
params = {"objective": "binary:logistic", "eta": 0.8, "max_depth": 8, "min_child_weight": 0,
          "eval_metric": "logloss", "tree_method": "hist", "seed": 42, "nthread": 2}
d, v = xgb.DMatrix(x, y[:, 0]), xgb.DMatrix(vx, vy[:, 0])
booster = xgb.train(params, d, 300, evals=[(d, "train"), (v, "valid")],
                    early_stopping_rounds=5, verbose_eval=False)
print(json.dumps({"best_iteration": booster.best_iteration}))
)";

TEST(PythonInteropTest, EarlyStoppingPicksTheSameIterationAsPython) {
  if (!HaveXGBoost()) GTEST_SKIP() << "python3-xgboost is not installed";
  testing::TempDir dir;
  const TestData data = MakeTestData(300, 6, Task::kBinary, 2, 2, 0.1);
  const TestData held_out = MakeTestData(1000, 6, Task::kBinary, 2, 3, 0.1);
  GbdtLearner gbdt;
  StatusOr<Params> params =
      ParseParams("gbdt", gbdt.params(),
                  {"n_estimators=300", "eta=0.8", "max_depth=8", "min_child_weight=0",
                   "early_stopping_rounds=5", "eval_metric=logloss"});
  ASSERT_TRUE(params.ok());
  ValidData valid{.x = held_out.x, .y = held_out.y};
  TrainData train{.x = data.x, .y = data.y, .task = Task::kBinary, .num_classes = 2};
  StatusOr<std::unique_ptr<Model>> model =
      gbdt.Fit(train, *params, {.valid = &valid, .seed = 42, .threads = 2});
  ASSERT_TRUE(model.ok()) << model.status();

  auto column = [](const std::vector<double>& y) {
    Matrix m(static_cast<int64_t>(y.size()), 1);
    std::copy(y.begin(), y.end(), m.data());
    return m;
  };
  const std::string names[] = {"x.csv", "y.csv", "vx.csv", "vy.csv"};
  WriteTextFile(dir.path() + "/x.csv", MatrixToCsv(data.x));
  WriteTextFile(dir.path() + "/y.csv", MatrixToCsv(column(data.y)));
  WriteTextFile(dir.path() + "/vx.csv", MatrixToCsv(held_out.x));
  WriteTextFile(dir.path() + "/vy.csv", MatrixToCsv(column(held_out.y)));
  std::vector<std::string> args;
  for (const std::string& name : names) args.push_back(dir.path() + "/" + name);
  const nlohmann::json python = RunPython(kEarlyStoppingScript, args);
  ASSERT_FALSE(python.is_null());
  const int best = python["best_iteration"].get<int>();
  EXPECT_EQ(static_cast<const XGBoostModel&>(**model).rounds(), best + 1);
  std::printf("python best_iteration %d; keel kept %d rounds\n", best,
              static_cast<const XGBoostModel&>(**model).rounds());
}

}  // namespace
}  // namespace keel::learn::trees
