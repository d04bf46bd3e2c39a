#include "keel/serve/served_model.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/learn/model_store.h"
#include "keel/serve/test_fixture.h"

namespace keel::serve {
namespace {

using ::testing::HasSubstr;

void ExpectTablesBitIdentical(const Table& a, const Table& b) {
  ASSERT_EQ(a.num_rows(), b.num_rows());
  ASSERT_EQ(a.num_columns(), b.num_columns());
  for (int c = 0; c < a.num_columns(); ++c) {
    EXPECT_EQ(a.schema().field(c).name, b.schema().field(c).name);
    EXPECT_TRUE(a.column(c).Equals(b.column(c))) << a.schema().field(c).name;
    if (a.column(c).type() == DataType::kFloat64) {
      for (int64_t r = 0; r < a.num_rows(); ++r) {
        // Equals treats NaN = NaN; here every bit must match.
        EXPECT_EQ(std::bit_cast<uint64_t>(a.column(c).Float64Values()[r]),
                  std::bit_cast<uint64_t>(b.column(c).Float64Values()[r]))
            << a.schema().field(c).name << " row " << r;
      }
    }
  }
}

// Scores `rows` through the server's row path and checks it against the
// bundle's batch Predict bit for bit; returns that reference.
Table ExpectServedEqualsPredict(const ServedModel& model, const Table& rows) {
  auto batch = model.BatchFromTable(rows);
  EXPECT_TRUE(batch.ok()) << batch.status();
  auto reference = model.bundle().Predict(rows);
  EXPECT_TRUE(reference.ok()) << reference.status();
  if (!batch.ok() || !reference.ok()) return Table();
  auto served = model.Score(*batch);
  EXPECT_TRUE(served.ok()) << served.status();
  if (served.ok()) ExpectTablesBitIdentical(*served, *reference);
  return *std::move(reference);
}

class ServedModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ServedModelTest, RowPathEqualsBundlePredictBitForBit) {
  testing::ServeFixture fixture;
  fixture.TrainAndStore("fraud", GetParam());
  auto loaded = learn::LoadModelVersion(fixture.lake(), "fraud");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ServedModel model(*std::move(loaded));
  // Unseen rows, with an unseen merchant in some of them.
  const Table rows = testing::Transactions(120, 99);
  ExpectServedEqualsPredict(model, rows);
  // Scoring again on the same thread reuses the scratch space.
  ExpectServedEqualsPredict(model, rows);
}

INSTANTIATE_TEST_SUITE_P(Learners, ServedModelTest, ::testing::Values("gbdt", "logistic", "rf"));

// A pipeline with a sparse text step (2^18 hashing slots): requests take
// the sparse row path, with the bundle's CSR scores bit for bit.
class ServedSparseModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ServedSparseModelTest, SparseRowPathEqualsBundlePredictBitForBit) {
  testing::ServeFixture fixture;
  fixture.TrainAndStore("fraud", GetParam(), /*seed=*/1, /*sparse=*/true);
  auto loaded = learn::LoadModelVersion(fixture.lake(), "fraud");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ServedModel model(*std::move(loaded));
  ASSERT_NE(model.bundle().pipeline(), nullptr);
  ASSERT_TRUE(model.bundle().pipeline()->has_sparse_outputs());
  const Table rows = testing::Transactions(150, 77);  // gaps in amount, unseen merchants
  const Table reference = ExpectServedEqualsPredict(model, rows);
  ASSERT_EQ(reference.num_rows(), rows.num_rows());
  // One row at a time gives the same as in a batch.
  for (int64_t r : {0, 7, 149}) {
    auto one = model.BatchFromTable(rows.Slice(r, 1));
    ASSERT_TRUE(one.ok());
    auto scored = model.Score(*one);
    ASSERT_TRUE(scored.ok()) << scored.status();
    ExpectTablesBitIdentical(*scored, reference.Slice(r, 1));
  }
}

INSTANTIATE_TEST_SUITE_P(Learners, ServedSparseModelTest, ::testing::Values("gbdt", "logistic"));

TEST(ServedModelNoPipelineTest, NumericInputsFeedTheModelDirectly) {
  testing::ServeFixture fixture;
  fixture.TrainNumericAndStore("reg");
  auto loaded = learn::LoadModelVersion(fixture.lake(), "reg");
  ASSERT_TRUE(loaded.ok());
  ServedModel model(*std::move(loaded));
  ASSERT_EQ(model.inputs().num_fields(), 3);
  InputBatch batch = model.NewBatch(2);
  for (int i = 0; i < 3; ++i) {
    batch.value(i, 0) = Value::Float64(0.5 * i);
    batch.value(i, 1) = Value::Null(DataType::kFloat64);  // missing: NaN for the trees
    batch.set_present(i);
  }
  auto served = model.Score(batch);
  ASSERT_TRUE(served.ok()) << served.status();
  learn::Matrix x(2, 3);
  for (int i = 0; i < 3; ++i) {
    x.at(0, i) = 0.5 * i;
    x.at(1, i) = std::numeric_limits<double>::quiet_NaN();
  }
  learn::Matrix scores;
  ASSERT_TRUE(model.bundle().model().Predict(x, &scores).ok());
  EXPECT_EQ(served->column(0).Float64Values()[0], scores.at(0, 0));
  EXPECT_EQ(served->column(0).Float64Values()[1], scores.at(1, 0));
}

TEST(ServedModelErrorsTest, MissingInputAndWrongTypeAreNamed) {
  testing::ServeFixture fixture;
  fixture.TrainAndStore("fraud");
  ServedModel model(*learn::LoadModelVersion(fixture.lake(), "fraud"));
  InputBatch batch = model.NewBatch(1);
  auto missing = model.Score(batch);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("input 'amount' is missing"));

  Table rows = testing::Transactions(5);
  auto dropped = rows.SelectColumns({"amount", "merchant", "n_items"});
  ASSERT_TRUE(dropped.ok());
  auto from_table = model.BatchFromTable(*dropped);
  ASSERT_FALSE(from_table.ok());
  EXPECT_THAT(std::string(from_table.status().message()), HasSubstr("event_time"));
}

}  // namespace
}  // namespace keel::serve
