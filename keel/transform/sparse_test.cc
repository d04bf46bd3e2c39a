// SparseMatrix (CSR) and the pipeline's sparse path: TransformSparse gives
// the same bits as the dense table path, FitTransform's CSR matches it, the
// JSON round-trips, and the errors name the steps involved.
#include <bit>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/transform/pipeline.h"
#include "keel/transform/sparse_matrix.h"
#include "keel/transform/test_util.h"

namespace keel::transform {
namespace {

using ::testing::HasSubstr;
using testutil::Doubles;
using testutil::Ints;
using testutil::Strings;

TEST(SparseMatrixTest, BuilderSkipsZerosAndKeepsNaN) {
  SparseMatrix::Builder b(5);
  b.Add(0, 1.5);
  b.Add(2, 0.0);
  b.Add(3, std::nan(""));
  b.EndRow();
  b.EndRow();
  b.Add(4, -2);
  b.EndRow();
  SparseMatrix m = std::move(b).Finish();
  EXPECT_EQ(m.rows(), 3);
  EXPECT_EQ(m.cols(), 5);
  EXPECT_EQ(m.nnz(), 3);
  EXPECT_EQ(m.At(0, 0), 1.5);
  EXPECT_EQ(m.At(0, 2), 0);
  EXPECT_TRUE(std::isnan(m.At(0, 3)));
  EXPECT_EQ(m.RowIndices(1).size(), 0u);
  EXPECT_EQ(m.At(2, 4), -2);

  const std::vector<int64_t> rows = {2, 0, 2};
  SparseMatrix g = m.Gather(rows);
  EXPECT_EQ(g.rows(), 3);
  EXPECT_EQ(std::vector<int64_t>(g.row_offsets().begin(), g.row_offsets().end()),
            (std::vector<int64_t>{0, 1, 3, 4}));
  EXPECT_EQ(g.At(1, 0), 1.5);
  EXPECT_EQ(g.At(2, 4), -2);
}

TEST(SparseMatrixTest, MakeChecksInvariants) {
  EXPECT_TRUE(SparseMatrix::Make(2, 3, {0, 1, 2}, {2, 0}, {1.0, 2.0}).ok());
  EXPECT_THAT(SparseMatrix::Make(2, 3, {0, 1}, {2}, {1.0}).status().message(),
              HasSubstr("row offsets for 2 rows"));
  EXPECT_THAT(SparseMatrix::Make(1, 3, {0, 2}, {2, 1}, {1.0, 2.0}).status().message(),
              HasSubstr("not strictly ascending"));
  EXPECT_THAT(SparseMatrix::Make(1, 3, {0, 1}, {3}, {1.0}).status().message(),
              HasSubstr("outside [0, 3)"));
  EXPECT_THAT(SparseMatrix::Make(1, 3, {0, 1}, {1}, {0.0}).status().message(),
              HasSubstr("explicit zero"));
  EXPECT_THAT(SparseMatrix::Make(2, 3, {0, 2, 1}, {0, 1}, {1.0, 1.0}).status().message(),
              HasSubstr("row offsets"));
}

Table Reviews() {
  return *Table::Make(
      {"id", "price", "review", "title", "flag"},
      {Ints({1, 2, 3, 4, 5, 6}), Doubles({1.5, std::nullopt, 0.0, -2.0, 7.0, std::nullopt}),
       Strings({"good food, good staff", "bad", std::nullopt, "", "slow service was very slow",
                "good service"}),
       Strings({"great", "awful place", "ok ok", std::nullopt, "great place", "ok"}),
       testutil::Ints({0, 1, 0, 1, 1, 0})});
}

StatusOr<Pipeline::FitResult> FitYaml(const std::string& yaml, const Table& table) {
  KEEL_ASSIGN_OR_RETURN(PipelineSpec spec, PipelineSpec::Parse(yaml, "prep.yaml"));
  KEEL_ASSIGN_OR_RETURN(Pipeline pipeline, Pipeline::Make(spec));
  return pipeline.FitTransform(table);
}

// Every entry of `sparse` equals the dense table path's value bit for bit
// (a null as NaN, a 0 not stored).
void ExpectSameAsDense(const SparseMatrix& sparse, const Table& dense) {
  ASSERT_EQ(sparse.rows(), dense.num_rows());
  ASSERT_EQ(sparse.cols(), dense.num_columns());
  for (int c = 0; c < dense.num_columns(); ++c) {
    for (int64_t i = 0; i < dense.num_rows(); ++i) {
      const Value v = testutil::ValueAt(dense.column(c), i);
      const double want = !v.valid ? std::nan("") : v.AsDouble();
      const double got = sparse.At(i, c);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got)) << dense.schema().field(c).name << " row " << i;
      } else {
        EXPECT_EQ(std::memcmp(&want, &got, sizeof(double)), 0)
            << dense.schema().field(c).name << " row " << i << ": " << want << " vs " << got;
      }
    }
  }
}

constexpr char kMixed[] = R"(
remainder: passthrough
steps:
  - {step: tfidf, columns: [review], ngram_range: [1, 2], output: sparse}
  - {step: scale, columns: [price]}
  - {step: hashing_vectorizer, columns: [title], n_features: 64, output: sparse}
)";

TEST(SparsePipelineTest, SameBitsAsTheDensePath) {
  const Table table = Reviews();
  auto fit = FitYaml(kMixed, table);
  ASSERT_TRUE(fit.ok()) << fit.status();
  const FittedPipeline& p = fit->pipeline;
  ASSERT_TRUE(p.has_sparse_outputs());
  // The dense outputs only in `transformed`; every output in `sparse`.
  EXPECT_EQ(fit->transformed.schema().names(), (std::vector<std::string>{"id", "price", "flag"}));
  ASSERT_TRUE(fit->sparse.has_value());

  auto dense = p.Transform(table);
  ASSERT_TRUE(dense.ok()) << dense.status();
  ASSERT_EQ(dense->schema(), p.output_schema());
  auto sparse = p.TransformSparse(table);
  ASSERT_TRUE(sparse.ok()) << sparse.status();
  ExpectSameAsDense(*sparse, *dense);
  ExpectSameAsDense(*fit->sparse, *dense);
  EXPECT_LT(sparse->nnz(), dense->num_rows() * dense->num_columns() / 4);

  testutil::ExpectRowPathMatchesTable(p, table);
  // The sparse row path (serving) gives each row's CSR entries, bit for bit.
  {
    Row row = p.NewRow();
    std::vector<int> index(table.num_columns());
    for (int c = 0; c < table.num_columns(); ++c)
      index[c] = p.InputIndex(table.schema().field(c).name);
    std::vector<std::pair<int32_t, double>> entries;
    for (int64_t i = 0; i < table.num_rows(); ++i) {
      for (int c = 0; c < table.num_columns(); ++c) {
        if (index[c] >= 0) row.Set(index[c], testutil::ValueAt(table.column(c), i));
      }
      ASSERT_TRUE(p.TransformRowSparse(&row, &entries).ok());
      ASSERT_EQ(entries.size(), sparse->RowIndices(i).size()) << "row " << i;
      for (size_t e = 0; e < entries.size(); ++e) {
        EXPECT_EQ(entries[e].first, sparse->RowIndices(i)[e]) << "row " << i;
        EXPECT_EQ(std::bit_cast<uint64_t>(entries[e].second),
                  std::bit_cast<uint64_t>(sparse->RowValues(i)[e]))
            << "row " << i;
      }
    }
  }
  testutil::ExpectJsonRoundTrip(p, table);
  auto text = p.ToJsonString();
  ASSERT_TRUE(text.ok());
  EXPECT_THAT(*text, HasSubstr("\"output\": \"sparse\""));
  auto loaded = FittedPipeline::FromJson(*text);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(loaded->has_sparse_outputs());
  auto reloaded = loaded->TransformSparse(table);
  ASSERT_TRUE(reloaded.ok());
  ExpectSameAsDense(*reloaded, *dense);
}

TEST(SparsePipelineTest, DenseByDefaultWithTheSameJsonAsBefore) {
  auto fit = FitYaml("steps:\n  - {step: tfidf, columns: [review]}\n", Reviews());
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_FALSE(fit->pipeline.has_sparse_outputs());
  EXPECT_FALSE(fit->sparse.has_value());
  EXPECT_THAT(*fit->pipeline.ToJsonString(), ::testing::Not(HasSubstr("\"output\"")));
}

TEST(SparsePipelineTest, RowsDroppedAtFitLeaveTheSparseOutputToo) {
  const Table table = Reviews();
  // drop_missing after the sparse step drops the rows with a missing price.
  auto fit = FitYaml(R"(
remainder: drop
steps:
  - {step: tfidf, columns: [review], output: sparse}
  - {step: drop_missing, columns: [price], max_missing_rate: 0.9, max_row_missing_rate: 0.5}
)",
                     table);
  ASSERT_TRUE(fit.ok()) << fit.status();
  ASSERT_TRUE(fit->kept_rows.has_value());
  EXPECT_EQ(*fit->kept_rows, (std::vector<int64_t>{0, 2, 3, 4}));
  auto all = fit->pipeline.TransformSparse(table);
  ASSERT_TRUE(all.ok()) << all.status();
  const SparseMatrix want = all->Gather(*fit->kept_rows);
  ASSERT_EQ(fit->sparse->rows(), want.rows());
  EXPECT_TRUE(std::equal(want.indices().begin(), want.indices().end(),
                         fit->sparse->indices().begin(), fit->sparse->indices().end()));
  EXPECT_TRUE(std::equal(want.row_offsets().begin(), want.row_offsets().end(),
                         fit->sparse->row_offsets().begin(), fit->sparse->row_offsets().end()));
}

TEST(SparsePipelineTest, LaterStepReadingSparseOutputsNamesBothSteps) {
  auto fit = FitYaml(R"(
steps:
  - {step: tfidf, name: words, columns: [review], output: sparse}
  - {step: scale, columns: {types: [numeric]}}
)",
                     Reviews());
  ASSERT_FALSE(fit.ok());
  EXPECT_THAT(fit.status().message(), HasSubstr("step 'scale' selects 'review__tfidf="));
  EXPECT_THAT(fit.status().message(), HasSubstr("step 'words' (tfidf) (output: sparse)"));
  EXPECT_THAT(fit.status().message(), HasSubstr("set output: dense"));

  // Excluding the sparse outputs is the fix.
  auto fixed = FitYaml(R"(
remainder: drop
steps:
  - {step: tfidf, name: words, columns: [review], output: sparse}
  - {step: scale, columns: {types: [numeric], exclude: ["review__*"]}}
)",
                       Reviews());
  EXPECT_TRUE(fixed.ok()) << fixed.status();

  // A stored pipeline that does it is refused on load too.
  auto dense = FitYaml(R"(
steps:
  - {step: tfidf, name: words, columns: [review]}
  - {step: scale, columns: {types: [numeric]}}
)",
                       Reviews());
  ASSERT_TRUE(dense.ok()) << dense.status();
  nlohmann::json j = dense->pipeline.ToJson();
  j["steps"][0]["state"]["output"] = "sparse";
  auto loaded = FittedPipeline::FromJson(j.dump());
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(), HasSubstr("an output of step 'words' (tfidf)"));
}

TEST(SparsePipelineTest, StringOutputColumnIsAnError) {
  auto fit = FitYaml("steps:\n  - {step: tfidf, columns: [review], output: sparse}\n", Reviews());
  ASSERT_FALSE(fit.ok());
  EXPECT_THAT(fit.status().message(), HasSubstr("output column 'title' is a string"));
  EXPECT_THAT(fit.status().message(), HasSubstr("remainder: drop"));
}

TEST(SparsePipelineTest, UnknownOutputIsAnError) {
  auto fit =
      FitYaml("steps:\n  - {step: tfidf, columns: [review], output: compressed}\n", Reviews());
  ASSERT_FALSE(fit.ok());
  EXPECT_THAT(fit.status().message(), HasSubstr("output"));
  EXPECT_THAT(fit.status().message(), HasSubstr("sparse"));
}

}  // namespace
}  // namespace keel::transform
