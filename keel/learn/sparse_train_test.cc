// Training on a pipeline with sparse outputs (text steps with output:
// sparse): gbdt trains from XGBoost's CSR DMatrix and logistic on Eigen's
// sparse products, neither densifying, and the bundle scores the same
// through every path (batch on CSR, XGBoost's own predictor on CSR, the
// serving row path on dense rows, a reloaded bundle); learners that cannot
// take sparse input are refused by name.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/learn/train.h"
#include "keel/learn/trees/xgboost_model.h"
#include "keel/table/column.h"
#include "keel/transform/pipeline.h"

namespace keel::learn {
namespace {

using ::testing::HasSubstr;

// Reviews whose label depends on a few words, with a price column that
// has gaps and a title of free text.
Table Reviews(int n) {
  const char* good[] = {"great", "tasty", "friendly", "quick", "lovely"};
  const char* bad[] = {"awful", "slow", "cold", "rude", "dirty"};
  const char* filler[] = {"the", "food", "was", "staff", "place", "we", "ordered", "again"};
  std::mt19937_64 rng(3);
  ColumnBuilder review(DataType::kString), title(DataType::kString), price(DataType::kFloat64),
      label(DataType::kInt64);
  for (int i = 0; i < n; ++i) {
    const bool positive = rng() % 2 == 0;
    std::string doc;
    for (int w = 0; w < 8; ++w) {
      if (w > 0) doc += ' ';
      if (rng() % 4 == 0) {
        doc += (positive == (rng() % 5 != 0)) ? good[rng() % 5] : bad[rng() % 5];
      } else {
        doc += filler[rng() % 8];
      }
    }
    review.AppendString(doc);
    title.AppendString(std::string(filler[rng() % 8]) + " " + filler[rng() % 8]);
    if (rng() % 10 == 0) {
      price.AppendNull();
    } else {
      price.AppendFloat64(static_cast<double>(rng() % 50) + (positive ? 5 : 0));
    }
    label.AppendInt64(positive ? 1 : 0);
  }
  return *Table::Make({"review", "title", "price", "label"},
                      {review.Finish(), title.Finish(), price.Finish(), label.Finish()});
}

constexpr char kSparsePrep[] = R"(
steps:
  - {step: tfidf, columns: [review], ngram_range: [1, 2], output: sparse}
  - {step: hashing_vectorizer, columns: [title], n_features: 262144, output: sparse}
)";

// The serving path (the fitted pipeline's TransformRow into a dense row,
// then Model::PredictRow) on the first `rows` rows of a Reviews table gives
// the same bits as `scores` (from Bundle::Scores, the CSR path).
void ExpectRowPathScoresSame(const Bundle& bundle, const Table& table, const Matrix& scores,
                             int64_t rows) {
  const transform::FittedPipeline& p = *bundle.pipeline();
  transform::Row row = p.NewRow();
  const int review = p.InputIndex("review"), title = p.InputIndex("title"),
            price = p.InputIndex("price");
  std::vector<double> dense(static_cast<size_t>(p.output_schema().num_fields()));
  double out[1];
  for (int64_t r = 0; r < rows; ++r) {
    row.SetString(review, table.column(0).StringAt(r));
    row.SetString(title, table.column(1).StringAt(r));
    table.column(2).IsNull(r) ? row.SetNull(price)
                              : row.SetFloat64(price, table.column(2).Float64Values()[r]);
    ASSERT_TRUE(p.TransformRow(&row).ok());
    for (size_t j = 0; j < dense.size(); ++j) {
      const transform::Value& v = row.output(static_cast<int>(j));
      dense[j] = v.valid ? v.AsDouble() : std::nan("");
    }
    ASSERT_TRUE(bundle.model().PredictRow(dense, out).ok());
    EXPECT_EQ(out[0], scores.at(r, 0)) << "row " << r;
  }
}

// A saved and reloaded bundle scores `table` as `scores`, predicts it, and
// evaluates it with the ROC AUC of a useful model.
void ExpectReloadedBundleScoresSame(const Bundle& bundle, const Table& table,
                                    const Matrix& scores) {
  auto bytes = bundle.Save();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto loaded = Bundle::Load(*bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  auto again = loaded->Scores(table);
  ASSERT_TRUE(again.ok()) << again.status();
  for (int64_t r = 0; r < table.num_rows(); ++r) EXPECT_EQ(again->at(r, 0), scores.at(r, 0));
  auto predicted = loaded->Predict(table);
  ASSERT_TRUE(predicted.ok()) << predicted.status();
  auto metrics = Evaluate(*loaded, table);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_GT(metrics->at("roc_auc"), 0.8);
}

TrainSpec SparseSpec(std::string learner) {
  TrainSpec spec;
  spec.learner = std::move(learner);
  spec.params = {"n_estimators=20", "max_depth=4"};
  spec.target = "label";
  spec.transform = *transform::PipelineSpec::Parse(kSparsePrep, "prep.yaml");
  spec.transform_text = kSparsePrep;
  spec.threads = 2;
  return spec;
}

TEST(SparseTrainTest, GbdtTrainsOnCsrAndEveryPathScoresTheSame) {
  const Table table = Reviews(600);
  auto outcome = Train(table, SparseSpec("gbdt"));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_GT(outcome->metrics.at("roc_auc"), 0.8);
  const Bundle& bundle = outcome->bundle;
  ASSERT_NE(bundle.pipeline(), nullptr);
  ASSERT_TRUE(bundle.pipeline()->has_sparse_outputs());
  EXPECT_EQ(static_cast<int64_t>(bundle.manifest().features.size()),
            bundle.pipeline()->output_schema().num_fields());
  EXPECT_GT(bundle.model().num_features(), 262144);

  auto scores = bundle.Scores(table);
  ASSERT_TRUE(scores.ok()) << scores.status();
  ASSERT_EQ(scores->rows(), table.num_rows());

  // XGBoost's own predictor on the same CSR matrix.
  auto x = bundle.SparseFeatures(table);
  ASSERT_TRUE(x.ok()) << x.status();
  const auto& model = dynamic_cast<const trees::XGBoostModel&>(bundle.model());
  EXPECT_TRUE(model.predictor().zero_is_missing());
  auto xgb = model.PredictSparseWithXGBoost(*x);
  ASSERT_TRUE(xgb.ok()) << xgb.status();
  double worst = 0;
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    worst = std::max(worst, std::abs(xgb->at(r, 0) - scores->at(r, 0)));
  }
  EXPECT_LE(worst, 1e-6);

  // Serving: the row path gives dense rows (zeros included); a model
  // trained on CSR scores a 0 as missing, so the bits are the same.
  ExpectRowPathScoresSame(bundle, table, *scores, 50);

  ExpectReloadedBundleScoresSame(bundle, table, *scores);

  // Dense feature matrices (explanations) are refused with a reason.
  EXPECT_THAT(std::string(bundle.Features(table).status().message()), HasSubstr("sparse features"));
}

// logistic on the same CSR features (the price imputed: linear models
// refuse missing values, sparse or dense).
TEST(SparseTrainTest, LogisticTrainsOnCsrAndEveryPathScoresTheSame) {
  constexpr char kPrep[] = R"(
steps:
  - {step: impute, columns: [price], strategy: median}
  - {step: tfidf, columns: [review], ngram_range: [1, 2], output: sparse}
  - {step: hashing_vectorizer, columns: [title], n_features: 262144, output: sparse}
)";
  const Table table = Reviews(600);
  TrainSpec spec = SparseSpec("logistic");
  spec.params = {"C=10"};
  spec.transform = *transform::PipelineSpec::Parse(kPrep, "prep.yaml");
  spec.transform_text = kPrep;
  auto outcome = Train(table, spec);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_GT(outcome->metrics.at("roc_auc"), 0.8);
  const Bundle& bundle = outcome->bundle;
  ASSERT_TRUE(bundle.pipeline()->has_sparse_outputs());
  EXPECT_GT(bundle.model().num_features(), 262144);
  auto scores = bundle.Scores(table);
  ASSERT_TRUE(scores.ok()) << scores.status();
  ASSERT_EQ(scores->rows(), table.num_rows());
  // The linear model's sparse kernel adds the stored products in the dense
  // kernel's order, so the row path gives the same bits.
  ExpectRowPathScoresSame(bundle, table, *scores, 50);
  ExpectReloadedBundleScoresSame(bundle, table, *scores);
}

TEST(SparseTrainTest, LogisticRefusesMissingValuesInSparseFeatures) {
  TrainSpec spec = SparseSpec("logistic");  // price has gaps and no impute step
  spec.params = {};
  auto outcome = Train(Reviews(200), spec);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(std::string(outcome.status().message()), HasSubstr("missing value (NaN)"));
  EXPECT_THAT(std::string(outcome.status().message()), HasSubstr("'price'"));
  EXPECT_THAT(std::string(outcome.status().message()), HasSubstr("impute"));
}

TEST(SparseTrainTest, LearnerWithoutSparseInputIsNamed) {
  TrainSpec spec = SparseSpec("kmeans");
  spec.params = {};
  spec.target = "";
  auto outcome = Train(Reviews(50), spec);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(std::string(outcome.status().message()),
              HasSubstr("learner 'kmeans' cannot take sparse features"));
  EXPECT_THAT(std::string(outcome.status().message()), HasSubstr("step 'tfidf'"));
  EXPECT_THAT(std::string(outcome.status().message()), HasSubstr("output: dense"));
}

}  // namespace
}  // namespace keel::learn
