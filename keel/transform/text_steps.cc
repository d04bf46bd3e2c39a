// Text steps on string columns: tfidf and count_vectorizer (a vocabulary
// learnt at fit, as scikit-learn's TfidfVectorizer and CountVectorizer) and
// hashing_vectorizer (HashingVectorizer, no fit). One output per term (or
// hash slot). With `output: dense` (the default) they are float64 columns;
// with `output: sparse` the pipeline's sparse path (TransformSparse) stores
// only the non-zeros, so 2^18 hash slots or a 50k vocabulary are cheap.
// Every path computes a document's non-zeros with one kernel
// (VectorizeSparse), so dense, sparse and row outputs are the same bits.
#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "keel/transform/categories.h"
#include "keel/transform/column_util.h"
#include "keel/transform/steps.h"
#include "keel/transform/text_util.h"
#include "keel/transform/transform.h"

namespace keel::transform {
namespace {

using nlohmann::json;

enum class Norm { kNone, kL1, kL2 };

// The most outputs per column of a sparse text step (scikit-learn's default
// n_features, 2^20).
constexpr int kMaxSparseFeatures = 1 << 20;

StatusOr<Norm> ParseNorm(std::string_view s) {
  if (s == "l2") return Norm::kL2;
  if (s == "l1") return Norm::kL1;
  if (s == "none") return Norm::kNone;
  return absl::InvalidArgumentError(absl::StrCat("unknown norm '", std::string(s), "'"));
}
const char* NormName(Norm n) { return n == Norm::kL2 ? "l2" : n == Norm::kL1 ? "l1" : "none"; }

// "output" in a step's JSON state: absent or "dense" -> false.
StatusOr<bool> SparseFromJson(const json& state) {
  const std::string output = state.value("output", "dense");
  if (output != "dense" && output != "sparse") {
    return absl::InvalidArgumentError(absl::StrCat("unknown output '", output, "'"));
  }
  return output == "sparse";
}

// What the three steps share: how documents become terms, and what is done
// to the counts (binary, sublinear tf, idf weights, row norm).
struct TextOptions {
  bool lowercase = true;
  int min_n = 1, max_n = 1;
  bool binary = false;
  bool sublinear_tf = false;
  Norm norm = Norm::kNone;
  bool sparse = false;  // output: sparse (Keel's, not a scikit-learn option)

  // "output": "sparse" only when sparse, so dense steps keep the JSON they
  // had before the sparse path existed.
  json ToJson() const {
    json j = {{"lowercase", lowercase},
              {"ngram_range", {min_n, max_n}},
              {"binary", binary},
              {"sublinear_tf", sublinear_tf},
              {"norm", NormName(norm)}};
    if (sparse) j["output"] = "sparse";
    return j;
  }
  static StatusOr<TextOptions> FromJson(const json& j) {
    TextOptions o;
    o.lowercase = j.at("lowercase").get<bool>();
    o.min_n = j.at("ngram_range").at(0).get<int>();
    o.max_n = j.at("ngram_range").at(1).get<int>();
    o.binary = j.at("binary").get<bool>();
    o.sublinear_tf = j.at("sublinear_tf").get<bool>();
    KEEL_ASSIGN_OR_RETURN(o.norm, ParseNorm(j.at("norm").get<std::string>()));
    KEEL_ASSIGN_OR_RETURN(o.sparse, SparseFromJson(j));
    if (o.min_n < 1 || o.max_n < o.min_n) return absl::InvalidArgumentError("bad ngram_range");
    return o;
  }
};

// A document's non-zero outputs: (output index, value), ascending by index.
using Entries = std::vector<std::pair<int32_t, double>>;

// The kernel every path shares: the non-zero outputs of one document
// (replacing *out). `slot(term, &index, &sign)` maps a term to an output
// index (false: not in the vocabulary). Counts are sums of +-1, exact in any
// order; the row norm sums the non-zeros in index order (what scikit-learn's
// normalize does over a sorted CSR row, and what a dense loop gives, since
// adding +0 changes nothing).
template <typename Slot>
void VectorizeSparse(const TextOptions& o, Tokenizer* tok, std::string_view doc, const double* idf,
                     Slot&& slot, Entries* out) {
  out->clear();
  tok->ForEachTerm(doc, [&](std::string_view term) {
    int index;
    double sign;
    if (slot(term, &index, &sign)) out->emplace_back(index, sign);
  });
  std::sort(out->begin(), out->end());
  size_t w = 0;
  for (size_t i = 0; i < out->size();) {
    const int32_t index = (*out)[i].first;
    double v = 0;
    for (; i < out->size() && (*out)[i].first == index; ++i) v += (*out)[i].second;
    if (v == 0) continue;                     // hashed terms of opposite signs cancelled
    if (o.binary) v = 1;                      // sklearn: X.data.fill(1)
    if (o.sublinear_tf) v = 1 + std::log(v);  // counts are > 0 here
    if (idf != nullptr) v *= idf[index];
    (*out)[w++] = {index, v};
  }
  out->resize(w);
  if (o.norm == Norm::kNone) return;
  double norm = 0;
  for (const auto& [j, v] : *out) norm += o.norm == Norm::kL2 ? v * v : std::abs(v);
  if (o.norm == Norm::kL2) norm = std::sqrt(norm);
  if (norm == 0) return;
  for (auto& e : *out) e.second /= norm;
}

// Per-thread buffers of the row and sparse paths, shared by every text step
// (reused: no allocation after warm-up).
struct Scratch {
  Entries entries;
  Tokenizer tokenizer;
};
Scratch& ThreadScratch(const TextOptions& o) {
  thread_local Scratch s;
  s.tokenizer.Configure(o.lowercase, o.min_n, o.max_n);
  return s;
}

// Base of the text steps: n outputs per input, computed by Vectorize.
class TextStep : public FittedStep {
 public:
  TextStep(std::string kind, std::string name, std::vector<std::string> inputs, TextOptions o)
      : FittedStep(std::move(kind), std::move(name), kStringOnly, std::move(inputs)), o_(o) {}

  bool sparse() const override { return o_.sparse; }

  Status TransformValue(int k, const Value& in, Value* out) const override {
    const int n = Width(k);
    for (int j = 0; j < n; ++j) out[j] = Value::Float64(0);
    if (!in.valid) return absl::OkStatus();
    Scratch& s = ThreadScratch(o_);
    Run(k, &s.tokenizer, in.str, &s.entries);
    for (const auto& [j, v] : s.entries) out[j] = Value::Float64(v);
    return absl::OkStatus();
  }

  Status TransformSparse(int k, const Value& in, Entries* out) const override {
    out->clear();
    if (!in.valid) return absl::OkStatus();
    Run(k, &ThreadScratch(o_).tokenizer, in.str, out);
    return absl::OkStatus();
  }

 protected:
  virtual int Width(int k) const = 0;
  // The non-zero outputs of input k for one document.
  virtual void Run(int k, Tokenizer* tok, std::string_view doc, Entries* out) const = 0;

  StatusOr<std::vector<Column>> TransformColumn(int k, const Column& column) const override {
    const int n = Width(k);
    const int64_t rows = column.length();
    std::vector<Float64Writer> w;
    std::vector<double*> out;
    w.reserve(n);
    for (int j = 0; j < n; ++j) {
      w.emplace_back(rows, /*zeroed=*/true);
      out.push_back(w.back().values());
    }
    Tokenizer tok(o_.lowercase, o_.min_n, o_.max_n);
    Entries entries;
    for (int64_t i = 0; i < rows; ++i) {
      if (column.IsNull(i)) continue;  // all zeros
      Run(k, &tok, column.StringAt(i), &entries);
      for (const auto& [j, v] : entries) out[j][i] = v;
    }
    std::vector<Column> cols;
    for (Float64Writer& x : w) cols.push_back(x.Finish());
    return cols;
  }

  TextOptions o_;
};

// ---------------------------------------------------------------- vocabulary

struct Vocabulary {
  std::vector<std::string> terms;  // sorted
  std::vector<double> idf;         // empty: no idf weighting
  CategoryMap map;
};

class VocabularyStep : public TextStep {
 public:
  VocabularyStep(std::string kind, std::string name, std::vector<std::string> inputs, TextOptions o,
                 std::vector<Vocabulary> vocab)
      : TextStep(kind, std::move(name), std::move(inputs), o),
        prefix_(kind == "tfidf" ? "__tfidf=" : "__count="),
        vocab_(std::move(vocab)) {
    for (Vocabulary& v : vocab_) {
      for (size_t i = 0; i < v.terms.size(); ++i) v.map.Add(v.terms[i], static_cast<int>(i));
    }
  }

  std::vector<Field> OutputFields(int k) const override {
    std::vector<Field> out;
    for (const std::string& t : vocab_[k].terms) {
      out.push_back(Field{absl::StrCat(inputs()[k], prefix_, t), DataType::kFloat64, true});
    }
    return out;
  }

  static StepInfo::Loader Loader(std::string kind) {
    return [kind](const std::string& name, std::vector<std::string> inputs,
                  const json& state) -> StatusOr<std::unique_ptr<FittedStep>> {
      KEEL_ASSIGN_OR_RETURN(TextOptions o, TextOptions::FromJson(state));
      std::vector<Vocabulary> vocab;
      for (const json& c : state.at("columns")) {
        Vocabulary v;
        v.terms = c.at("vocabulary").get<std::vector<std::string>>();
        for (const json& x : c.at("idf")) {
          KEEL_ASSIGN_OR_RETURN(double d, DoubleFromJson(x));
          v.idf.push_back(d);
        }
        if (!v.idf.empty() && v.idf.size() != v.terms.size()) {
          return absl::InvalidArgumentError("one idf per term expected");
        }
        vocab.push_back(std::move(v));
      }
      if (vocab.size() != inputs.size()) return absl::InvalidArgumentError("one state per input");
      return std::make_unique<VocabularyStep>(kind, name, std::move(inputs), o, std::move(vocab));
    };
  }

 protected:
  int Width(int k) const override { return static_cast<int>(vocab_[k].terms.size()); }

  void Run(int k, Tokenizer* tok, std::string_view doc, Entries* out) const override {
    const Vocabulary& v = vocab_[k];
    VectorizeSparse(
        o_, tok, doc, v.idf.empty() ? nullptr : v.idf.data(),
        [&](std::string_view term, int* index, double* sign) {
          *index = v.map.Find(term);
          *sign = 1;
          return *index >= 0;
        },
        out);
  }

  json StateToJson() const override {
    json cols = json::array();
    for (const Vocabulary& v : vocab_) {
      json idf = json::array();
      for (double d : v.idf) idf.push_back(DoubleToJson(d));
      cols.push_back({{"vocabulary", v.terms}, {"idf", idf}});
    }
    json j = o_.ToJson();
    j["columns"] = cols;
    return j;
  }

 private:
  std::string prefix_;
  std::vector<Vocabulary> vocab_;
};

// Reads lowercase, ngram_range, binary (and for tfidf norm, sublinear_tf).
StatusOr<TextOptions> ReadOptions(const Params& params, bool tfidf) {
  TextOptions o;
  KEEL_ASSIGN_OR_RETURN(o.lowercase, params.GetBool("lowercase", true));
  KEEL_ASSIGN_OR_RETURN(o.binary, params.GetBool("binary", false));
  KEEL_ASSIGN_OR_RETURN(std::vector<std::string> range, params.GetList("ngram_range", {"1", "1"}));
  int lo = 0, hi = 0;
  if (range.size() != 2 || !absl::SimpleAtoi(range[0], &lo) || !absl::SimpleAtoi(range[1], &hi) ||
      lo < 1 || hi < lo || hi > 8) {
    return params.Error("ngram_range", "expected [min_n, max_n] with 1 <= min_n <= max_n <= 8");
  }
  o.min_n = lo;
  o.max_n = hi;
  KEEL_ASSIGN_OR_RETURN(std::string output,
                        params.GetChoice("output", "dense", {"dense", "sparse"}));
  o.sparse = output == "sparse";
  if (tfidf) {
    KEEL_ASSIGN_OR_RETURN(o.sublinear_tf, params.GetBool("sublinear_tf", false));
    KEEL_ASSIGN_OR_RETURN(std::string norm, params.GetChoice("norm", "l2", {"l2", "l1", "none"}));
    o.norm = *ParseNorm(norm);
  }
  return o;
}

// min_df / max_df: an integer is a count of documents, a fraction a share.
StatusOr<double> DocLimit(const Params& params, std::string_view key, std::string_view fallback,
                          int64_t docs) {
  KEEL_ASSIGN_OR_RETURN(std::string text, params.GetString(key, fallback));
  int64_t count;
  if (absl::SimpleAtoi(text, &count)) {
    if (count < 0) return params.Error(key, "expected a count >= 0 or a share in [0, 1]");
    return static_cast<double>(count);
  }
  double share = 0;
  if (!absl::SimpleAtod(text, &share) || share < 0 || share > 1) {
    return params.Error(key, "expected a count >= 0 or a share in [0, 1]");
  }
  return share * static_cast<double>(docs);
}

class VocabularyTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitContext*) const override {
    const Params& params = spec().params;
    const bool tfidf = spec().kind == "tfidf";
    KEEL_ASSIGN_OR_RETURN(TextOptions o, ReadOptions(params, tfidf));
    KEEL_ASSIGN_OR_RETURN(int64_t max_features, params.GetInt("max_features", 0, 0, 1 << 20));
    bool use_idf = false, smooth_idf = true;
    if (tfidf) {
      KEEL_ASSIGN_OR_RETURN(use_idf, params.GetBool("use_idf", true));
      KEEL_ASSIGN_OR_RETURN(smooth_idf, params.GetBool("smooth_idf", true));
    }
    const int64_t docs = table.num_rows();
    KEEL_ASSIGN_OR_RETURN(double min_doc, DocLimit(params, "min_df", "1", docs));
    KEEL_ASSIGN_OR_RETURN(double max_doc, DocLimit(params, "max_df", "1.0", docs));
    if (max_doc < min_doc) {
      return params.Error("max_df", "corresponds to fewer documents than min_df");
    }
    Tokenizer tok(o.lowercase, o.min_n, o.max_n);
    std::vector<Vocabulary> vocab;
    for (const std::string& name : columns) {
      const Column column = *table.ColumnByName(name);
      // Per term: documents containing it, and total count (a hash map, then
      // sorted: the vocabulary is in byte order, as sklearn's sorted()).
      struct TermStats {
        int64_t docs = 0, count = 0, last_doc = -1;
      };
      absl::flat_hash_map<std::string, TermStats> stats;
      for (int64_t i = 0; i < docs; ++i) {
        if (column.IsNull(i)) continue;
        tok.ForEachTerm(column.StringAt(i), [&](std::string_view term) {
          // One hash per term; the key string is made only for a new term.
          TermStats& t = stats.try_emplace(absl::string_view(term.data(), term.size())).first->second;
          t.count += 1;
          if (t.last_doc != i) {
            t.last_doc = i;
            t.docs += 1;
          }
        });
      }
      if (stats.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            spec().Label(), ": column '", name,
            "' has no terms in the training data (tokens are runs of 2 or more word characters)"));
      }
      // sklearn's _limit_features: document frequency bounds, then the
      // max_features most frequent terms (ties: the earlier term).
      std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> terms;
      for (auto& [term, t] : stats) {
        const double df = static_cast<double>(t.docs);
        if (df <= max_doc && df >= min_doc)
          terms.emplace_back(term, std::make_pair(t.docs, t.count));
      }
      std::sort(terms.begin(), terms.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      if (terms.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(spec().Label(), ": column '", name,
                         "': after pruning, no terms remain; lower min_df or raise max_df"));
      }
      if (max_features > 0 && static_cast<int64_t>(terms.size()) > max_features) {
        std::vector<size_t> order(terms.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
          return terms[a].second.second > terms[b].second.second;
        });
        order.resize(max_features);
        std::sort(order.begin(), order.end());
        std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> kept;
        for (size_t i : order) kept.push_back(std::move(terms[i]));
        terms = std::move(kept);
      }
      Vocabulary v;
      for (auto& [term, s] : terms) {
        v.terms.push_back(term);
        if (use_idf) {
          const double n = static_cast<double>(docs) + (smooth_idf ? 1 : 0);
          const double df = static_cast<double>(s.first) + (smooth_idf ? 1 : 0);
          v.idf.push_back(std::log(n / df) + 1);
        }
      }
      vocab.push_back(std::move(v));
    }
    return std::make_unique<VocabularyStep>(spec().kind, spec().name, columns, o, std::move(vocab));
  }
};

// ---------------------------------------------------------------- hashing

class HashingVectorizerStep : public TextStep {
 public:
  HashingVectorizerStep(std::string name, std::vector<std::string> inputs, TextOptions o,
                        int n_features, bool alternate_sign)
      : TextStep("hashing_vectorizer", std::move(name), std::move(inputs), o),
        n_(n_features),
        alternate_sign_(alternate_sign) {}

  std::vector<Field> OutputFields(int k) const override {
    std::vector<Field> out;
    for (int j = 0; j < n_; ++j) {
      out.push_back(Field{absl::StrCat(inputs()[k], "__hash", j), DataType::kFloat64, true});
    }
    return out;
  }

  static StatusOr<std::unique_ptr<FittedStep>> Load(const std::string& name,
                                                    std::vector<std::string> inputs,
                                                    const json& state) {
    KEEL_ASSIGN_OR_RETURN(TextOptions o, TextOptions::FromJson(state));
    const int n = state.at("n_features").get<int>();
    if (n < 1 || n > kMaxSparseFeatures) {
      return absl::InvalidArgumentError("n_features must be in [1, 2^20]");
    }
    return std::make_unique<HashingVectorizerStep>(name, std::move(inputs), o, n,
                                                   state.at("alternate_sign").get<bool>());
  }

 protected:
  int Width(int) const override { return n_; }

  void Run(int, Tokenizer* tok, std::string_view doc, Entries* out) const override {
    VectorizeSparse(
        o_, tok, doc, nullptr,
        [&](std::string_view term, int* index, double* sign) {
          HashFeature(term, n_, alternate_sign_, index, sign);
          return true;
        },
        out);
  }

  json StateToJson() const override {
    json j = o_.ToJson();
    j["n_features"] = n_;
    j["alternate_sign"] = alternate_sign_;
    return j;
  }

 private:
  int n_;
  bool alternate_sign_;
};

class HashingVectorizerTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table&,
                                                const std::vector<std::string>& columns,
                                                FitContext*) const override {
    const Params& params = spec().params;
    KEEL_ASSIGN_OR_RETURN(TextOptions o, ReadOptions(params, /*tfidf=*/false));
    KEEL_ASSIGN_OR_RETURN(std::string norm, params.GetChoice("norm", "l2", {"l2", "l1", "none"}));
    o.norm = *ParseNorm(norm);
    // Dense outputs are one float64 column each: 2^16 at most. Sparse ones
    // cost only their non-zeros, but each still has a name in the schema.
    KEEL_ASSIGN_OR_RETURN(
        int64_t n, params.GetInt("n_features", 256, 1, o.sparse ? kMaxSparseFeatures : 1 << 16));
    KEEL_ASSIGN_OR_RETURN(bool alternate, params.GetBool("alternate_sign", true));
    return std::make_unique<HashingVectorizerStep>(spec().name, columns, o, static_cast<int>(n),
                                                   alternate);
  }
};

}  // namespace

void RegisterTextSteps(TransformRegistry* registry) {
  (void)registry->Register(
      {.kind = "tfidf",
       .help = "TF-IDF of the column's terms (TfidfVectorizer): one output per vocabulary term "
               "(output: sparse for the CSR path)",
       .accepts = kStringOnly,
       .params = {"lowercase", "ngram_range", "min_df", "max_df", "max_features", "binary", "norm",
                  "use_idf", "smooth_idf", "sublinear_tf", "output"},
       .make = MakeFactory<VocabularyTransform>(kStringOnly),
       .load = VocabularyStep::Loader("tfidf")});
  (void)registry->Register({.kind = "count_vectorizer",
                            .help = "term counts (CountVectorizer): one output per vocabulary term "
                                    "(output: sparse for the CSR path)",
                            .accepts = kStringOnly,
                            .params = {"lowercase", "ngram_range", "min_df", "max_df",
                                       "max_features", "binary", "output"},
                            .make = MakeFactory<VocabularyTransform>(kStringOnly),
                            .load = VocabularyStep::Loader("count_vectorizer")});
  (void)registry->Register({.kind = "hashing_vectorizer",
                            .help = "hashed term counts (HashingVectorizer): n_features outputs, "
                                    "no vocabulary (output: sparse for the CSR path)",
                            .accepts = kStringOnly,
                            .params = {"lowercase", "ngram_range", "binary", "norm", "n_features",
                                       "alternate_sign", "output"},
                            .make = MakeFactory<HashingVectorizerTransform>(kStringOnly),
                            .load = HashingVectorizerStep::Load});
}

}  // namespace keel::transform
