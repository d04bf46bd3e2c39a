// The text steps against scikit-learn 1.2 on the same documents:
// TfidfVectorizer (defaults, n-grams, sublinear tf, l1, max_features,
// min_df/max_df), CountVectorizer (binary, bigrams) and HashingVectorizer,
// every value to 1e-9 and the same vocabulary.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "keel/base/testing/python.h"
#include "keel/table/column.h"
#include "keel/transform/pipeline.h"
#include "keel/transform/test_util.h"
#include "nlohmann/json.hpp"

namespace keel::transform {
namespace {

using json = nlohmann::json;

// Short reviews from a small vocabulary, with punctuation, digits, case,
// a one-letter word (not a token), an empty document and a null.
std::vector<std::string> Documents() {
  const char* words[] = {"Good", "bad", "service", "food", "was", "very", "slow", "quick",
                         "friendly", "staff", "price", "high", "low", "a", "will", "return",
                         "never", "again", "2nd", "visit", "ok", "café"};
  std::mt19937_64 rng(17);
  std::vector<std::string> docs;
  for (int d = 0; d < 120; ++d) {
    std::string doc;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      if (i > 0) doc += rng() % 7 == 0 ? ", " : " ";
      doc += words[rng() % (sizeof(words) / sizeof(words[0]))];
    }
    if (d % 10 == 0) doc += "!";
    docs.push_back(doc);
  }
  docs[7] = "";
  return docs;
}

constexpr char kScript[] = R"py(
import json, sys
from sklearn.feature_extraction.text import TfidfVectorizer, CountVectorizer, HashingVectorizer
args = json.load(sys.stdin)
docs = args["docs"]
cases = {
  "tfidf": TfidfVectorizer(),
  "tfidf_bigrams": TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, norm="l1"),
  "tfidf_limits": TfidfVectorizer(max_features=8, min_df=2, max_df=0.5, smooth_idf=False),
  "count_binary": CountVectorizer(ngram_range=(1, 2), binary=True),
  "hashing": HashingVectorizer(n_features=32),
}
out = {}
for name, v in cases.items():
    m = v.fit_transform(docs).toarray()
    vocab = [] if name == "hashing" else list(v.get_feature_names_out())
    out[name] = {"vocab": vocab, "x": m.tolist()}
print(json.dumps(out))
)py";

struct Case {
  const char* name;
  const char* step;
  const char* prefix;  // output column prefix before the term
};

class TextSklearnTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(keel::testing::HavePythonModule("sklearn"))
        << "python3-sklearn is needed (scripts/install-deps.sh installs it)";
    auto ref = keel::testing::RunPythonJson(kScript, {{"docs", Documents()}}, 300);
    ASSERT_TRUE(ref.ok()) << ref.status();
    reference_ = new json(*ref);
  }
  static json* reference_;
};
json* TextSklearnTest::reference_ = nullptr;

TEST_P(TextSklearnTest, SameVocabularyAndValues) {
  ASSERT_NE(reference_, nullptr);
  const Case& c = GetParam();
  const json& want = (*reference_)[c.name];
  const std::vector<std::string> docs = Documents();
  ColumnBuilder text(DataType::kString);
  for (const std::string& d : docs) text.AppendString(d);
  StatusOr<Table> table = Table::Make({"review"}, {text.Finish()});
  ASSERT_TRUE(table.ok());
  auto spec = PipelineSpec::Parse(
      absl::StrCat("remainder: drop\nsteps:\n  - ", c.step, "\n"), "prep.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto pipeline = Pipeline::Make(*spec);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  auto fitted = pipeline->Fit(*table);
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  testutil::ExpectRowPathMatchesTable(*fitted, *table);
  testutil::ExpectJsonRoundTrip(*fitted, *table);
  auto out = fitted->Transform(*table);
  ASSERT_TRUE(out.ok()) << out.status();

  const std::vector<std::string> vocab = want["vocab"];
  const int64_t width = static_cast<int64_t>(want["x"][0].size());
  ASSERT_EQ(out->num_columns(), width);
  if (!vocab.empty()) {
    for (int64_t j = 0; j < width; ++j) {
      EXPECT_EQ(out->schema().field(static_cast<int>(j)).name,
                absl::StrCat("review", c.prefix, vocab[static_cast<size_t>(j)]));
    }
  }
  for (int64_t j = 0; j < width; ++j) {
    const Column& column = out->column(static_cast<int>(j));
    for (int64_t i = 0; i < out->num_rows(); ++i) {
      const double expected = want["x"][static_cast<size_t>(i)][static_cast<size_t>(j)];
      ASSERT_FALSE(column.IsNull(i));
      EXPECT_NEAR(column.Float64Values()[i], expected, 1e-9)
          << out->schema().field(static_cast<int>(j)).name << " row " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TextSklearnTest,
    ::testing::Values(
        Case{"tfidf", "{step: tfidf, columns: [review]}", "__tfidf="},
        Case{"tfidf_bigrams",
             "{step: tfidf, columns: [review], ngram_range: [1, 2], sublinear_tf: true, norm: l1}",
             "__tfidf="},
        Case{"tfidf_limits",
             "{step: tfidf, columns: [review], max_features: 8, min_df: 2, max_df: 0.5, "
             "smooth_idf: false}",
             "__tfidf="},
        Case{"count_binary",
             "{step: count_vectorizer, columns: [review], ngram_range: [1, 2], binary: true}",
             "__count="},
        Case{"hashing", "{step: hashing_vectorizer, columns: [review], n_features: 32}", "__hash"}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace keel::transform
