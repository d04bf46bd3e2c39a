// Times keel::transform's tfidf step with output: sparse (unigrams and
// bigrams, min_df 2) on short documents drawn from a 50k-word vocabulary
// with a Zipf-like skew.
//
//   bench_text_tfidf_sparse [--n N] [--repeat R] [--out DIR]
//
// Prints rows "name implementation n seconds ns_per_doc": Pipeline::
// FitTransform to CSR (best of R) and FittedPipeline::TransformSparse. With
// --out, writes the documents as DIR/data.csv for the peer.
#include <algorithm>
#include <chrono>
#include <cmath>
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

using keel::ColumnBuilder;
using keel::DataType;
using keel::Table;

constexpr char kSpec[] = R"(steps:
  - step: tfidf
    columns: [text]
    ngram_range: [1, 2]
    min_df: 2
    output: sparse
)";

Table Generate(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> words;
  for (int w = 0; w < 50'000; ++w) {
    std::string word;
    const int len = 3 + static_cast<int>(rng() % 6);
    for (int i = 0; i < len; ++i) word += static_cast<char>('a' + rng() % 26);
    words.push_back(word);
  }
  std::uniform_real_distribution<double> u(0, 1);
  ColumnBuilder text(DataType::kString);
  std::string doc;
  for (int64_t i = 0; i < n; ++i) {
    doc.clear();
    const int len = 5 + static_cast<int>(rng() % 16);
    for (int k = 0; k < len; ++k) {
      if (k > 0) doc += ' ';
      doc += words[static_cast<size_t>(std::pow(u(rng), 3.0) * words.size())];
    }
    text.AppendString(doc);
  }
  return *Table::Make({"text"}, {text.Finish()});
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int Fail(const keel::Status& s) {
  std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 200'000;
  int repeat = 3;
  std::string out;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--n") == 0) n = std::atoll(argv[i + 1]);
    if (std::strcmp(argv[i], "--repeat") == 0) repeat = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--out") == 0) out = argv[i + 1];
  }
  const Table table = Generate(n, 42);
  if (!out.empty()) {
    if (keel::Status s = keel::WriteCsv(table, out + "/data.csv"); !s.ok()) return Fail(s);
  }
  auto spec = keel::transform::PipelineSpec::Parse(kSpec, "bench.yaml");
  auto pipeline = keel::transform::Pipeline::Make(*spec);
  if (!pipeline.ok()) return Fail(pipeline.status());
  double best_fit = 1e300, best_apply = 1e300;
  int64_t cols = 0, nnz = 0;
  for (int r = 0; r < repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    auto result = pipeline->FitTransform(table);
    best_fit = std::min(best_fit, Seconds(start));
    if (!result.ok()) return Fail(result.status());
    cols = result->sparse->cols();
    nnz = result->sparse->nnz();
    start = std::chrono::steady_clock::now();
    auto applied = result->pipeline.TransformSparse(table);
    best_apply = std::min(best_apply, Seconds(start));
    if (!applied.ok()) return Fail(applied.status());
  }
  std::printf("fit_transform keel %lld %.4f %.1f\n", static_cast<long long>(n), best_fit,
              best_fit / n * 1e9);
  std::printf("transform     keel %lld %.4f %.1f\n", static_cast<long long>(n), best_apply,
              best_apply / n * 1e9);
  std::fprintf(stderr, "keel: %lld terms, %lld non-zeros\n", static_cast<long long>(cols),
               static_cast<long long>(nnz));
  return 0;
}
