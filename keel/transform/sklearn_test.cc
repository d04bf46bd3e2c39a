// Keel's steps against scikit-learn 1.2 on the same generated data (with
// gaps): fitted statistics and outputs agree to 1e-9 (bins exactly).
// Needs /usr/bin/python3 with python3-sklearn; skipped without it.
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/transform/pipeline.h"
#include "keel/transform/test_util.h"
#include "nlohmann/json.hpp"

namespace keel::transform {
namespace {

using nlohmann::json;

constexpr char kPython[] = "/usr/bin/python3";

struct Data {
  std::vector<std::optional<double>> a, c;
  std::vector<std::optional<int64_t>> b;
  std::vector<std::optional<std::string>> city;
  std::vector<std::optional<std::string>> dev;
  std::vector<std::optional<double>> u;
  std::vector<std::optional<int64_t>> k;

  Table ToTable() const {
    return *Table::Make(
        {"a", "b", "c", "city", "dev", "u", "k"},
        {testutil::Doubles(a), testutil::Ints(b), testutil::Doubles(c), testutil::Strings(city),
         testutil::Strings(dev), testutil::Doubles(u), testutil::Ints(k)});
  }

  std::string ToCsv() const {
    std::string out = "a,b,c,city,dev,u,k\n";
    char buf[64];
    auto num = [&](const std::optional<double>& v) {
      if (!v) return std::string();
      std::snprintf(buf, sizeof(buf), "%.17g", *v);
      return std::string(buf);
    };
    for (size_t i = 0; i < a.size(); ++i) {
      out += num(a[i]) + "," + (b[i] ? std::to_string(*b[i]) : "") + "," + num(c[i]) + "," +
             city[i].value_or("") + "," + dev[i].value_or("") + "," + num(u[i]) + "," +
             std::to_string(*k[i]) + "\n";
    }
    return out;
  }
};

// Numbers with gaps and ties, Zipf-like categories with nulls; `unseen`
// adds categories the training data lacks.
Data Generate(int rows, uint32_t seed, bool unseen) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(50, 20);
  std::lognormal_distribution<double> lognormal(1, 1);
  std::uniform_real_distribution<double> uniform(-5, 5);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  Data d;
  for (int i = 0; i < rows; ++i) {
    d.a.push_back(pick(10) == 0 ? std::nullopt : std::optional<double>(normal(rng)));
    d.b.push_back(pick(12) == 0 ? std::nullopt : std::optional<int64_t>(pick(21)));
    d.c.push_back(pick(20) == 0 ? std::nullopt : std::optional<double>(lognormal(rng)));
    int z = 0;
    while (z < 14 && pick(3) != 0) ++z;  // geometric: c00 most frequent
    std::optional<std::string> city = "c" + std::string(z < 10 ? "0" : "") + std::to_string(z);
    if (pick(14) == 0) city = std::nullopt;
    if (unseen && pick(10) == 0) city = "zz_new";
    d.city.push_back(city);
    const char* devs[] = {"android", "ios", "web", "ios"};
    d.dev.push_back(unseen && pick(15) == 0 ? "tv" : devs[pick(4)]);
    d.u.push_back(uniform(rng));
    d.k.push_back(pick(3) == 0 ? pick(10) : 0);
  }
  return d;
}

bool Near(const json& want, const Value& got) {
  if (want.is_null()) return !got.valid;
  if (!got.valid) return false;
  const double w = want.get<double>(), g = got.AsDouble();
  return std::abs(w - g) <= 1e-9 * std::max({1.0, std::abs(w), std::abs(g)});
}

bool NearJson(const json& want, const json& got) {
  if (want.is_null() || got.is_null()) return want.is_null() && got.is_null();
  const double w = want.get<double>(), g = *DoubleFromJson(got);
  return std::abs(w - g) <= 1e-9 * std::max({1.0, std::abs(w), std::abs(g)});
}

class TransformSklearnTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (testing::RunCommand({kPython, "-c", "import sklearn"}).exit_code != 0) return;
    testing::TempDir dir;
    train_ = new Data(Generate(3000, 11, false));
    test_ = new Data(Generate(600, 12, true));
    const std::string train_csv = dir.path() + "/train.csv";
    const std::string test_csv = dir.path() + "/test.csv";
    const std::string out = dir.path() + "/sklearn.json";
    ASSERT_TRUE(WriteFileAtomic(train_csv, train_->ToCsv()).ok());
    ASSERT_TRUE(WriteFileAtomic(test_csv, test_->ToCsv()).ok());
    testing::CommandOptions options;
    options.timeout_seconds = 240;
    const std::string script =
        std::string(KEEL_SOURCE_DIR) + "/keel/transform/testdata/sklearn_reference.py";
    const auto result = testing::RunCommand({kPython, script, train_csv, test_csv, out}, options);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    reference_ = new json(json::parse(*ReadFile(out)));
  }

  void SetUp() override {
    if (reference_ == nullptr) GTEST_SKIP() << "python3-sklearn is not installed";
  }

  // Fits `step_yaml` on the training data; returns the fitted step's state
  // and the outputs on the test data as name -> column of values. Also checks
  // row path == table path and the JSON round trip on the test data.
  void Run(const std::string& step_yaml, json* state,
           std::map<std::string, std::vector<Value>>* outs) {
    auto spec =
        PipelineSpec::Parse("remainder: drop\nsteps:\n  - " + step_yaml + "\n", "prep.yaml");
    ASSERT_TRUE(spec.ok()) << spec.status();
    auto pipeline = Pipeline::Make(*spec);
    ASSERT_TRUE(pipeline.ok()) << pipeline.status();
    auto fitted = pipeline->Fit(train_->ToTable());
    ASSERT_TRUE(fitted.ok()) << fitted.status();
    *state = fitted->step(0).ToJson().at("state");
    const Table test = test_->ToTable();
    auto out = fitted->Transform(test);
    ASSERT_TRUE(out.ok()) << out.status();
    keep_alive_.push_back(*out);  // string outputs point into its buffers
    for (int c = 0; c < out->num_columns(); ++c) {
      auto& col = (*outs)[out->schema().field(c).name];
      for (int64_t i = 0; i < out->num_rows(); ++i)
        col.push_back(testutil::ValueAt(out->column(c), i));
    }
    testutil::ExpectRowPathMatchesTable(*fitted, test);
    testutil::ExpectJsonRoundTrip(*fitted, test);
  }

  static void ExpectColumn(const std::string& what, const json& want,
                           const std::vector<Value>& got) {
    ASSERT_EQ(want.size(), got.size()) << what;
    int bad = 0;
    for (size_t i = 0; i < got.size() && bad < 5; ++i) {
      if (!Near(want[i], got[i])) {
        ++bad;
        ADD_FAILURE() << what << " row " << i << ": sklearn " << want[i].dump() << ", keel "
                      << testutil::Show(got[i]);
      }
    }
  }

  std::vector<Table> keep_alive_;
  static Data* train_;
  static Data* test_;
  static json* reference_;
};

Data* TransformSklearnTest::train_ = nullptr;
Data* TransformSklearnTest::test_ = nullptr;
json* TransformSklearnTest::reference_ = nullptr;

TEST_F(TransformSklearnTest, SimpleImputerNumeric) {
  for (const std::string strategy : {"mean", "median", "most_frequent", "constant"}) {
    SCOPED_TRACE(strategy);
    json state;
    std::map<std::string, std::vector<Value>> outs;
    Run("{step: impute, columns: [a, b, c], strategy: " + strategy + ", add_indicator: true}",
        &state, &outs);
    const json& ref = reference_->at("impute_" + strategy);
    for (int j = 0; j < 3; ++j) {
      EXPECT_TRUE(NearJson(ref["statistics"][j], state["columns"][j]["fill"]))
          << j << ": sklearn " << ref["statistics"][j] << ", keel " << state["columns"][j]["fill"];
    }
    const json& names = ref["names"];
    ASSERT_EQ(names.size(), outs.size());
    for (size_t j = 0; j < names.size(); ++j) {
      std::string name = names[j];
      if (name.rfind("missingindicator_", 0) == 0) name = name.substr(17) + "__missing";
      ASSERT_TRUE(outs.count(name)) << name;
      ExpectColumn(name, ref["output"][j], outs[name]);
    }
  }
}

TEST_F(TransformSklearnTest, SimpleImputerStrings) {
  for (const std::string strategy : {"most_frequent", "constant"}) {
    json state;
    std::map<std::string, std::vector<Value>> outs;
    Run("{step: impute, columns: [city, dev], strategy: " + strategy + ", fill_value: none}",
        &state, &outs);
    const json& ref = reference_->at("impute_str_" + strategy);
    EXPECT_EQ(ref["statistics"][0], state["columns"][0]["fill"]);
    EXPECT_EQ(ref["statistics"][1], state["columns"][1]["fill"]);
    for (int j = 0; j < 2; ++j) {
      const auto& got = outs[j == 0 ? "city" : "dev"];
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(ref["output"][j][i].get<std::string>(), std::string(got[i].str)) << i;
      }
    }
  }
}

TEST_F(TransformSklearnTest, Scalers) {
  struct Case {
    std::string ref, yaml;
    std::vector<std::string> a_attr, b_attr;  // what state (a, b) hold, per sklearn attribute
  };
  const std::vector<Case> cases = {
      {"standard", "method: standard", {"mean_"}, {"scale_"}},
      {"minmax", "method: minmax", {"scale_"}, {"min_"}},
      {"minmax_range", "method: minmax, feature_range: [-1, 3]", {"scale_"}, {"min_"}},
      {"robust", "method: robust", {"center_"}, {"scale_"}},
      {"robust_range", "method: robust, quantile_range: [10, 90]", {"center_"}, {"scale_"}},
      {"maxabs", "method: maxabs", {}, {"scale_"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.ref);
    json state;
    std::map<std::string, std::vector<Value>> outs;
    Run("{step: scale, columns: [a, b, c], " + c.yaml + "}", &state, &outs);
    const json& ref = reference_->at("scale_" + c.ref);
    for (int j = 0; j < 3; ++j) {
      const json& params = state["params"][j];
      for (const auto& attr : c.a_attr) EXPECT_TRUE(NearJson(ref[attr][j], params[0])) << attr;
      for (const auto& attr : c.b_attr) EXPECT_TRUE(NearJson(ref[attr][j], params[1])) << attr;
      ExpectColumn(std::string(1, "abc"[j]), ref["output"][j], outs[std::string(1, "abc"[j])]);
    }
  }
}

// sklearn "city_c01" / "city_nan" / "city_infrequent_sklearn" -> Keel names.
std::string KeelOneHotName(std::string name) {
  const size_t us = name.find('_');
  std::string value = name.substr(us + 1);
  if (value == "nan") value = "__missing__";
  if (value == "infrequent_sklearn") value = "__infrequent__";
  return name.substr(0, us) + "=" + value;
}

TEST_F(TransformSklearnTest, OneHotEncoder) {
  const std::map<std::string, std::string> cases = {
      {"plain", ""},
      {"min_count", ", min_frequency: 40"},
      {"min_share", ", min_frequency: 0.05"},
      {"max_categories", ", max_categories: 4"},
      {"both", ", min_frequency: 10, max_categories: 6"},
  };
  for (const auto& [ref_name, params] : cases) {
    SCOPED_TRACE(ref_name);
    json state;
    std::map<std::string, std::vector<Value>> outs;
    Run("{step: one_hot, columns: [city, dev], handle_unknown: ignore" + params + "}", &state,
        &outs);
    const json& ref = reference_->at("one_hot_" + ref_name);
    ASSERT_EQ(ref["names"].size(), outs.size());
    for (size_t j = 0; j < ref["names"].size(); ++j) {
      const std::string name = KeelOneHotName(ref["names"][j]);
      ASSERT_TRUE(outs.count(name)) << name;
      ExpectColumn(name, ref["output"][j], outs[name]);
    }
  }
}

TEST_F(TransformSklearnTest, OrdinalEncoder) {
  json state;
  std::map<std::string, std::vector<Value>> outs;
  Run("{step: ordinal, columns: [city, dev], handle_unknown: use_encoded_value}", &state, &outs);
  const json& ref = reference_->at("ordinal");
  for (int j = 0; j < 2; ++j) {
    json cats = ref["categories"][j];
    if (!cats.empty() && cats.back().is_null()) cats.erase(cats.size() - 1);
    EXPECT_EQ(cats, state["columns"][j]["categories"]);
    ExpectColumn("ordinal", ref["output"][j], outs[j == 0 ? "city" : "dev"]);
  }
}

TEST_F(TransformSklearnTest, KBinsDiscretizerOrdinal) {
  for (const std::string strategy : {"uniform", "quantile"}) {
    for (int n_bins : {3, 5, 7}) {
      SCOPED_TRACE(strategy + " " + std::to_string(n_bins));
      json state;
      std::map<std::string, std::vector<Value>> outs;
      Run("{step: bin, columns: [u, k], strategy: " + strategy +
              ", n_bins: " + std::to_string(n_bins) + "}",
          &state, &outs);
      const json& ref = reference_->at("bin_" + strategy + "_" + std::to_string(n_bins));
      for (int j = 0; j < 2; ++j) {
        ASSERT_EQ(ref["edges"][j].size(), state["edges"][j].size());
        for (size_t e = 0; e < ref["edges"][j].size(); ++e) {
          EXPECT_TRUE(NearJson(ref["edges"][j][e], state["edges"][j][e]));
        }
        // Bin indices must agree exactly.
        const auto& got = outs[j == 0 ? "u" : "k"];
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_EQ(ref["output"][j][i].get<double>(), got[i].f64) << "row " << i;
        }
      }
    }
  }
}

TEST_F(TransformSklearnTest, FeatureHasher) {
  json state;
  std::map<std::string, std::vector<Value>> outs;
  Run("{step: hashing, columns: [city], n_features: 8}", &state, &outs);
  const json& ref = reference_->at("hashing");
  for (int j = 0; j < 8; ++j) {
    ExpectColumn("hash", ref["output"][j], outs["city__hash" + std::to_string(j)]);
  }
}

}  // namespace
}  // namespace keel::transform
