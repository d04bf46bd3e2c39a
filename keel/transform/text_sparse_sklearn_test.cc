// The text steps' sparse path (output: sparse, FittedPipeline::TransformSparse)
// against scikit-learn 1.2's CSR output on spaces where a dense matrix would
// be silly: TfidfVectorizer with bigrams (tens of thousands of terms), with
// vocabulary limits, CountVectorizer, and HashingVectorizer with 2^18 slots.
// indptr and indices are equal, data to 1e-12, vocabularies the same.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "keel/base/testing/python.h"
#include "keel/table/column.h"
#include "keel/transform/pipeline.h"
#include "nlohmann/json.hpp"

namespace keel::transform {
namespace {

using json = nlohmann::json;

// 3,000 short documents over 6,000 made-up words drawn with a Zipf-like
// skew (so min_df and max_features have work to do), with case,
// punctuation, digits, a one-letter word, an empty document and a null.
std::vector<std::optional<std::string>> Documents() {
  std::mt19937_64 rng(5);
  std::vector<std::string> words;
  for (int w = 0; w < 6000; ++w) {
    std::string word;
    const int len = 2 + static_cast<int>(rng() % 7);
    for (int i = 0; i < len; ++i) word += static_cast<char>('a' + rng() % 26);
    if (w % 97 == 0) word[0] = static_cast<char>('A' + rng() % 26);
    if (w % 131 == 0) word += std::to_string(w);
    words.push_back(word);
  }
  std::vector<std::optional<std::string>> docs;
  for (int d = 0; d < 3000; ++d) {
    std::string doc;
    const int n = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) {
      if (i > 0) doc += rng() % 9 == 0 ? ", " : " ";
      const double u = std::uniform_real_distribution<double>(0, 1)(rng);
      doc += words[static_cast<size_t>(std::pow(u, 2.5) * 6000)];
      if (rng() % 17 == 0) doc += " a";
    }
    docs.push_back(doc);
  }
  docs[11] = "";
  docs[12] = std::nullopt;
  return docs;
}

constexpr char kScript[] = R"py(
import json, sys
from sklearn.feature_extraction.text import TfidfVectorizer, CountVectorizer, HashingVectorizer
docs = [d if d is not None else "" for d in json.load(sys.stdin)["docs"]]
cases = {
  "tfidf_bigrams": TfidfVectorizer(ngram_range=(1, 2)),
  "tfidf_limits": TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_df=0.3, max_features=5000,
                                  sublinear_tf=True),
  "count": CountVectorizer(),
  "hashing": HashingVectorizer(n_features=2**18),
  "hashing_bigrams_l1": HashingVectorizer(n_features=2**18, ngram_range=(1, 2), norm="l1",
                                          alternate_sign=False),
}
out = {}
for name, v in cases.items():
    m = v.fit_transform(docs).tocsr()
    m.eliminate_zeros()  # Keel stores no zeros (hashed terms can cancel)
    m.sort_indices()
    vocab = [] if name.startswith("hashing") else list(v.get_feature_names_out())
    out[name] = {"vocab": vocab, "cols": m.shape[1], "indptr": m.indptr.tolist(),
                 "indices": m.indices.tolist(), "data": m.data.tolist()}
print(json.dumps(out))
)py";

struct Case {
  const char* name;
  const char* step;
  const char* prefix;
};

class TextSparseSklearnTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(keel::testing::HavePythonModule("sklearn"))
        << "python3-sklearn is needed (scripts/install-deps.sh installs it)";
    json docs = json::array();
    for (const auto& d : Documents()) docs.push_back(d ? json(*d) : json(nullptr));
    auto ref = keel::testing::RunPythonJson(kScript, {{"docs", docs}}, 300);
    ASSERT_TRUE(ref.ok()) << ref.status();
    reference_ = new json(*ref);
  }
  static json* reference_;
};
json* TextSparseSklearnTest::reference_ = nullptr;

TEST_P(TextSparseSklearnTest, SameCsrAsScikitLearn) {
  ASSERT_NE(reference_, nullptr);
  const Case& c = GetParam();
  const json& want = (*reference_)[c.name];
  ColumnBuilder text(DataType::kString);
  for (const auto& d : Documents()) d ? text.AppendString(*d) : text.AppendNull();
  StatusOr<Table> table = Table::Make({"review"}, {text.Finish()});
  ASSERT_TRUE(table.ok());
  auto spec =
      PipelineSpec::Parse(absl::StrCat("remainder: drop\nsteps:\n  - ", c.step, "\n"), "prep.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto pipeline = Pipeline::Make(*spec);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  auto fit = pipeline->FitTransform(*table);
  ASSERT_TRUE(fit.ok()) << fit.status();
  ASSERT_TRUE(fit->pipeline.has_sparse_outputs());
  ASSERT_TRUE(fit->sparse.has_value());
  EXPECT_EQ(fit->transformed.num_columns(), 0);  // nothing dense

  // The fitted JSON round-trips, and reloaded it gives the same matrix.
  auto text_json = fit->pipeline.ToJsonString();
  ASSERT_TRUE(text_json.ok()) << text_json.status();
  auto loaded = FittedPipeline::FromJson(*text_json);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded->ToJsonString(), *text_json);
  auto again = loaded->TransformSparse(*table);
  ASSERT_TRUE(again.ok()) << again.status();

  const std::vector<std::string> vocab = want["vocab"];
  const std::vector<int64_t> indptr = want["indptr"];
  const std::vector<int32_t> indices = want["indices"];
  const std::vector<double> data = want["data"];
  for (const SparseMatrix* m : {&*fit->sparse, &*again}) {
    ASSERT_EQ(m->cols(), want["cols"].get<int64_t>());
    ASSERT_EQ(m->rows(), table->num_rows());
    EXPECT_EQ(std::vector<int64_t>(m->row_offsets().begin(), m->row_offsets().end()), indptr);
    ASSERT_EQ(std::vector<int32_t>(m->indices().begin(), m->indices().end()), indices);
    double worst = 0;
    for (size_t i = 0; i < data.size(); ++i) {
      worst = std::max(worst, std::abs(m->values()[i] - data[i]));
    }
    EXPECT_LE(worst, 1e-12) << c.name;
  }
  if (!vocab.empty()) {
    const Schema& out = fit->pipeline.output_schema();
    ASSERT_EQ(out.num_fields(), static_cast<int>(vocab.size()));
    for (size_t j = 0; j < vocab.size(); j += 97) {
      EXPECT_EQ(out.field(static_cast<int>(j)).name, absl::StrCat("review", c.prefix, vocab[j]));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TextSparseSklearnTest,
    ::testing::Values(
        Case{"tfidf_bigrams",
             "{step: tfidf, columns: [review], ngram_range: [1, 2], output: sparse}", "__tfidf="},
        Case{"tfidf_limits",
             "{step: tfidf, columns: [review], ngram_range: [1, 2], min_df: 2, max_df: 0.3, "
             "max_features: 5000, sublinear_tf: true, output: sparse}",
             "__tfidf="},
        Case{"count", "{step: count_vectorizer, columns: [review], output: sparse}", "__count="},
        Case{"hashing",
             "{step: hashing_vectorizer, columns: [review], n_features: 262144, output: sparse}",
             "__hash"},
        Case{"hashing_bigrams_l1",
             "{step: hashing_vectorizer, columns: [review], n_features: 262144, "
             "ngram_range: [1, 2], norm: l1, alternate_sign: false, output: sparse}",
             "__hash"}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace keel::transform
