#include "keel/learn/trees/tree_predictor.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "nlohmann/json.hpp"

namespace keel::learn::trees {
namespace {

// Floats parsed straight from the decimal text (strtof), as XGBoost reads
// them: going through double first could round differently.
using Json = nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t,
                                  std::uint64_t, float>;

constexpr ObjectiveInfo kObjectives[] = {
    {"reg:squarederror", Task::kRegression, OutputTransform::kIdentity},
    {"reg:squaredlogerror", Task::kRegression, OutputTransform::kIdentity},
    {"reg:pseudohubererror", Task::kRegression, OutputTransform::kIdentity},
    {"reg:absoluteerror", Task::kRegression, OutputTransform::kIdentity},
    {"reg:linear", Task::kRegression, OutputTransform::kIdentity},
    {"count:poisson", Task::kRegression, OutputTransform::kExp},
    {"reg:gamma", Task::kRegression, OutputTransform::kExp},
    {"reg:tweedie", Task::kRegression, OutputTransform::kExp},
    {"binary:logistic", Task::kBinary, OutputTransform::kSigmoid},
    {"reg:logistic", Task::kBinary, OutputTransform::kSigmoid},
    {"binary:logitraw", Task::kBinary, OutputTransform::kIdentity},
    {"multi:softprob", Task::kMulticlass, OutputTransform::kSoftmax},
    {"multi:softmax", Task::kMulticlass, OutputTransform::kSoftmax},
};

// The largest num_class scored with the stack buffer PredictRows uses.
constexpr int kMaxGroups = 4096;
constexpr int kAccumulatorFloats = 4096;

Status Malformed(std::string_view field, std::string_view why) {
  return absl::DataLossError(absl::StrCat("XGBoost JSON model: ", std::string(field), " ",
                                          std::string(why),
                                          "; the model file is damaged or not an XGBoost model "
                                          "(save it again with Booster.save_model('m.json'))"));
}

StatusOr<const Json*> Field(const Json& parent, std::string_view parent_path, const char* key) {
  const std::string path = absl::StrCat(std::string(parent_path), "/", key);
  if (!parent.is_object()) return Malformed(parent_path, "is not an object");
  auto it = parent.find(key);
  if (it == parent.end()) return Malformed(path, "is missing");
  return &*it;
}

// A number that XGBoost writes as a string ("5E-1") or as a number.
StatusOr<float> FloatField(const Json& parent, std::string_view parent_path, const char* key) {
  KEEL_ASSIGN_OR_RETURN(const Json* value, Field(parent, parent_path, key));
  if (value->is_number()) return value->get<float>();
  if (value->is_string()) {
    std::string text = value->get<std::string>();
    // XGBoost 2 writes vectors as "[5E-1]".
    if (!text.empty() && text.front() == '[') text = text.substr(1, text.find(']') - 1);
    char* end = nullptr;
    const float parsed = std::strtof(text.c_str(), &end);
    if (!text.empty() && end == text.c_str() + text.size()) return parsed;
  }
  return Malformed(absl::StrCat(std::string(parent_path), "/", key), "is not a number");
}

StatusOr<int64_t> IntField(const Json& parent, std::string_view parent_path, const char* key) {
  KEEL_ASSIGN_OR_RETURN(float as_float, FloatField(parent, parent_path, key));
  const auto value = static_cast<int64_t>(as_float);
  if (static_cast<float>(value) != as_float || value < 0) {
    return Malformed(absl::StrCat(std::string(parent_path), "/", key),
                     "is not a non-negative integer");
  }
  return value;
}

template <typename T>
StatusOr<std::vector<T>> ArrayField(const Json& parent, std::string_view parent_path,
                                    const char* key) {
  KEEL_ASSIGN_OR_RETURN(const Json* value, Field(parent, parent_path, key));
  const std::string path = absl::StrCat(std::string(parent_path), "/", key);
  if (!value->is_array()) return Malformed(path, "is not an array");
  std::vector<T> out;
  out.reserve(value->size());
  for (const Json& item : *value) {
    if (item.is_boolean()) {
      out.push_back(static_cast<T>(item.get<bool>()));
    } else if (item.is_number()) {
      out.push_back(item.get<T>());
    } else {
      return Malformed(path, "holds a value that is not a number");
    }
  }
  return out;
}

}  // namespace

StatusOr<ObjectiveInfo> FindObjective(std::string_view name) {
  std::vector<std::string> names;
  for (const ObjectiveInfo& info : kObjectives) {
    if (info.name == name) return info;
    names.emplace_back(info.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("XGBoost objective '", std::string(name), "' is not supported by Keel.",
                   DidYouMean(name, names), " Supported: ", absl::StrJoin(names, ", "), "."));
}

Status TreePredictor::AddTree(int tree_id, const std::vector<int>& left,
                              const std::vector<int>& right, const std::vector<int>& split_index,
                              const std::vector<float>& split_condition,
                              const std::vector<bool>& default_left, int group) {
  const size_t n = left.size();
  const std::string where = absl::StrCat("tree ", tree_id);
  if (n == 0 || right.size() != n || split_index.size() != n || split_condition.size() != n ||
      default_left.size() != n) {
    return Malformed(where, "has node arrays of different lengths (or none)");
  }
  // Breadth-first from the root; children of one node are adjacent.
  const auto root = static_cast<int32_t>(nodes_.size());
  std::vector<int> order = {0};  // XGBoost node ids in output order
  std::vector<int> depth = {0};
  int max_depth = 0;
  nodes_.push_back({});
  for (size_t i = 0; i < order.size(); ++i) {
    const int id = order[i];
    const int32_t self = root + static_cast<int32_t>(i);
    Node& node = nodes_[self];
    if (left[id] == -1) {
      node = {std::numeric_limits<float>::quiet_NaN(), 0, self, split_condition[id]};
      continue;
    }
    const int l = left[id];
    const int r = right[id];
    if (l <= 0 || r <= 0 || static_cast<size_t>(l) >= n || static_cast<size_t>(r) >= n ||
        split_index[id] < 0 || split_index[id] >= num_features_ || order.size() + 2 > n) {
      return Malformed(where, absl::StrCat("node ", id, " has an invalid child or feature index"));
    }
    const float t = split_condition[id];
    node.base = root + static_cast<int32_t>(order.size());
    node.leaf = 0;
    if (default_left[id]) {  // x >= t: right; else (NaN too) left
      node.threshold = t;
      node.feature = static_cast<uint32_t>(split_index[id]);
      order.push_back(l);
      order.push_back(r);
    } else {  // -x >= nextafter(-t) (x < t): left; else (NaN too) right
      node.threshold = t == -std::numeric_limits<float>::infinity()
                           ? std::numeric_limits<float>::quiet_NaN()  // x < -inf never holds
                           : std::nextafter(-t, std::numeric_limits<float>::infinity());
      node.feature = static_cast<uint32_t>(split_index[id] + num_features_);
      order.push_back(r);
      order.push_back(l);
    }
    depth.push_back(depth[i] + 1);
    depth.push_back(depth[i] + 1);
    max_depth = std::max(max_depth, depth[i] + 1);
    nodes_.push_back({});
    nodes_.push_back({});
  }
  tree_root_.push_back(root);
  tree_depth_.push_back(max_depth);
  tree_group_.push_back(group);
  return absl::OkStatus();
}

StatusOr<TreePredictor> TreePredictor::FromXGBoostJson(std::string_view text) {
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return absl::DataLossError(
        absl::StrCat("XGBoost JSON model does not parse (", e.what(),
                     "); the file is truncated or damaged, or not JSON (UBJSON models load through "
                     "XGBoost: see ImportXGBoostModel)"));
  }
  TreePredictor p;
  KEEL_ASSIGN_OR_RETURN(const Json* learner, Field(doc, "", "learner"));
  KEEL_ASSIGN_OR_RETURN(const Json* params, Field(*learner, "/learner", "learner_model_param"));
  constexpr std::string_view kParams = "/learner/learner_model_param";
  KEEL_ASSIGN_OR_RETURN(const float base_score, FloatField(*params, kParams, "base_score"));
  KEEL_ASSIGN_OR_RETURN(const int64_t num_class, IntField(*params, kParams, "num_class"));
  KEEL_ASSIGN_OR_RETURN(p.num_features_, IntField(*params, kParams, "num_feature"));
  if (num_class > kMaxGroups) {
    return absl::InvalidArgumentError(absl::StrCat("XGBoost model has ", num_class,
                                                   " classes; Keel scores at most ", kMaxGroups));
  }
  p.num_groups_ = static_cast<int>(std::max<int64_t>(1, num_class));

  KEEL_ASSIGN_OR_RETURN(const Json* objective, Field(*learner, "/learner", "objective"));
  KEEL_ASSIGN_OR_RETURN(const Json* objective_name,
                        Field(*objective, "/learner/objective", "name"));
  if (!objective_name->is_string()) return Malformed("/learner/objective/name", "is not a string");
  p.objective_ = objective_name->get<std::string>();
  KEEL_ASSIGN_OR_RETURN(const ObjectiveInfo info, FindObjective(p.objective_));
  p.task_ = info.task;
  p.transform_ = info.transform;
  if ((p.task_ == Task::kMulticlass) != (num_class > 1)) {
    return Malformed(kParams,
                     absl::StrCat("num_class is ", num_class, " for objective ", p.objective_));
  }
  switch (p.transform_) {  // base_score to margin, as each objective's ProbToMargin
    case OutputTransform::kSigmoid:
      if (!(base_score > 0.0f && base_score < 1.0f)) {
        return Malformed(kParams, "base_score is not in (0, 1) for a logistic objective");
      }
      p.base_margin_ = -logf(1.0f / base_score - 1.0f);
      break;
    case OutputTransform::kExp:
      p.base_margin_ = logf(base_score);
      break;
    default:
      p.base_margin_ = base_score;
  }
  if (auto it = learner->find("feature_names"); it != learner->end() && it->is_array()) {
    for (const Json& name : *it) {
      if (name.is_string()) p.feature_names_.push_back(name.get<std::string>());
    }
    if (static_cast<int64_t>(p.feature_names_.size()) != p.num_features_) {
      p.feature_names_.clear();
    }
  }

  if (auto it = learner->find("attributes"); it != learner->end() && it->is_object()) {
    auto z = it->find("keel_zero_is_missing");
    p.zero_is_missing_ = z != it->end() && z->is_string() && z->get<std::string>() == "1";
  }

  KEEL_ASSIGN_OR_RETURN(const Json* booster, Field(*learner, "/learner", "gradient_booster"));
  KEEL_ASSIGN_OR_RETURN(const Json* booster_name,
                        Field(*booster, "/learner/gradient_booster", "name"));
  if (!booster_name->is_string() || booster_name->get<std::string>() != "gbtree") {
    return absl::InvalidArgumentError(
        absl::StrCat("XGBoost booster '", booster_name->dump(),
                     "' is not supported by Keel's tree predictor; train with booster=gbtree"));
  }
  KEEL_ASSIGN_OR_RETURN(const Json* model, Field(*booster, "/learner/gradient_booster", "model"));
  constexpr std::string_view kModel = "/learner/gradient_booster/model";
  KEEL_ASSIGN_OR_RETURN(const Json* trees, Field(*model, kModel, "trees"));
  KEEL_ASSIGN_OR_RETURN(std::vector<int> tree_info, ArrayField<int>(*model, kModel, "tree_info"));
  if (!trees->is_array() || trees->size() != tree_info.size()) {
    return Malformed(absl::StrCat(std::string(kModel), "/trees"),
                     "does not match tree_info in length");
  }
  for (size_t t = 0; t < trees->size(); ++t) {
    const Json& tree = (*trees)[t];
    const std::string path = absl::StrCat(std::string(kModel), "/trees/", t);
    if (tree_info[t] < 0 || tree_info[t] >= p.num_groups_) {
      return Malformed(absl::StrCat(std::string(kModel), "/tree_info"),
                       "names an output group out of range");
    }
    if (auto it = tree.find("split_type"); it != tree.end() && it->is_array()) {
      for (const Json& type : *it) {
        if (!type.is_number() || type.get<int>() != 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "XGBoost model tree ", t,
              " has categorical splits, which Keel's tree predictor does not score; encode "
              "categories as numbers before training"));
        }
      }
    }
    KEEL_ASSIGN_OR_RETURN(const Json* tree_param, Field(tree, path, "tree_param"));
    if (auto it = tree_param->find("size_leaf_vector");
        it != tree_param->end() && it->is_string() && it->get<std::string>() != "0") {
      return absl::InvalidArgumentError(
          absl::StrCat("XGBoost model tree ", t,
                       " has vector leaves (multi-target), which Keel does not score"));
    }
    KEEL_ASSIGN_OR_RETURN(std::vector<int> left, ArrayField<int>(tree, path, "left_children"));
    KEEL_ASSIGN_OR_RETURN(std::vector<int> right, ArrayField<int>(tree, path, "right_children"));
    KEEL_ASSIGN_OR_RETURN(std::vector<int> index, ArrayField<int>(tree, path, "split_indices"));
    KEEL_ASSIGN_OR_RETURN(std::vector<float> condition,
                          ArrayField<float>(tree, path, "split_conditions"));
    KEEL_ASSIGN_OR_RETURN(std::vector<int> default_left,
                          ArrayField<int>(tree, path, "default_left"));
    KEEL_RETURN_IF_ERROR(p.AddTree(static_cast<int>(t), left, right, index, condition,
                                   std::vector<bool>(default_left.begin(), default_left.end()),
                                   tree_info[t]));
  }
  return p;
}

void TreePredictor::Transform(float* margins, double* out, bool margin) const {
  const int g = num_groups_;
  if (margin || transform_ == OutputTransform::kIdentity) {
    for (int i = 0; i < g; ++i) out[i] = margins[i];
    return;
  }
  switch (transform_) {
    case OutputTransform::kSigmoid:
      for (int i = 0; i < g; ++i) out[i] = 1.0f / (1.0f + expf(-margins[i]));
      return;
    case OutputTransform::kExp:
      for (int i = 0; i < g; ++i) out[i] = expf(margins[i]);
      return;
    case OutputTransform::kSoftmax: {  // XGBoost's common::Softmax, step by step
      float wmax = margins[0];
      for (int i = 1; i < g; ++i) wmax = fmaxf(margins[i], wmax);
      double wsum = 0.0;
      for (int i = 0; i < g; ++i) {
        margins[i] = expf(margins[i] - wmax);
        wsum += margins[i];
      }
      for (int i = 0; i < g; ++i) out[i] = margins[i] / static_cast<float>(wsum);
      return;
    }
    case OutputTransform::kIdentity:
      return;
  }
}

void TreePredictor::AccumulateRow(const float* row, float* racc) const {
  const Node* nodes = nodes_.data();
  const auto step = [nodes](const float* row, int32_t idx) {
    const Node& n = nodes[idx];
    return n.base + static_cast<int32_t>(row[n.feature] >= n.threshold);
  };
  const auto num_trees = static_cast<int64_t>(tree_root_.size());
  // kLanes trees in lockstep, their leaves then added in tree order, as
  // XGBoost adds them.
  constexpr int kLanes = 8;
  int64_t t = 0;
  for (; t + kLanes <= num_trees; t += kLanes) {
    int32_t idx[kLanes];
    int depth = 0;
#pragma GCC unroll 8
    for (int j = 0; j < kLanes; ++j) {
      idx[j] = tree_root_[t + j];
      depth = std::max(depth, static_cast<int>(tree_depth_[t + j]));
    }
    for (int d = 0; d < depth; ++d) {
#pragma GCC unroll 8
      for (int j = 0; j < kLanes; ++j) idx[j] = step(row, idx[j]);
    }
    for (int j = 0; j < kLanes; ++j) racc[tree_group_[t + j]] += nodes[idx[j]].leaf;
  }
  for (; t < num_trees; ++t) {
    int32_t idx = tree_root_[t];
    for (int d = 0; d < tree_depth_[t]; ++d) idx = step(row, idx);
    racc[tree_group_[t]] += nodes[idx].leaf;
  }
}

void TreePredictor::PredictRows(const double* x, int64_t rows, double* out, bool margin) const {
  const int g = num_groups_;
  const int64_t cols = num_features_;
  const int64_t block = std::max<int64_t>(1, std::min<int64_t>(64, kAccumulatorFloats / g));
  constexpr int kLanes = 8;  // rows (or trees, for the last rows) walked in lockstep
  float acc[kAccumulatorFloats];
  // A block's rows widened to floats [x, -x] (see Node); grows once per thread.
  thread_local std::vector<float> widened;
  if (widened.size() < static_cast<size_t>(2 * cols * std::min(block, rows))) {
    widened.resize(2 * cols * std::min(block, rows));
  }
  const Node* nodes = nodes_.data();
  const auto step = [nodes](const float* row, int32_t idx) {
    const Node& n = nodes[idx];
    return n.base + static_cast<int32_t>(row[n.feature] >= n.threshold);
  };
  const auto num_trees = static_cast<int64_t>(tree_root_.size());
  for (int64_t begin = 0; begin < rows; begin += block) {
    const int64_t n = std::min(block, rows - begin);
    const double* bx = x + begin * cols;
    float* wx = widened.data();
    for (int64_t r = 0; r < n; ++r) {
      float* w = wx + r * 2 * cols;
      for (int64_t c = 0; c < cols; ++c) {
        w[c] = static_cast<float>(bx[r * cols + c]);
        if (zero_is_missing_ && w[c] == 0) w[c] = std::nanf("");
        w[cols + c] = -w[c];
      }
    }
    std::fill(acc, acc + n * g, base_margin_);
    const int64_t lockstep_rows = n - n % kLanes;
    // kLanes rows walk one tree in lockstep.
    for (int64_t t = 0; t < num_trees && lockstep_rows > 0; ++t) {
      const int32_t root = tree_root_[t];
      const int depth = tree_depth_[t];
      float* tacc = acc + tree_group_[t];
      for (int64_t r = 0; r < lockstep_rows; r += kLanes) {
        int32_t idx[kLanes];
        const float* lane = wx + r * 2 * cols;
#pragma GCC unroll 8
        for (int j = 0; j < kLanes; ++j) idx[j] = root;
        for (int d = 0; d < depth; ++d) {
#pragma GCC unroll 8
          for (int j = 0; j < kLanes; ++j) idx[j] = step(lane + j * 2 * cols, idx[j]);
        }
#pragma GCC unroll 8
        for (int j = 0; j < kLanes; ++j) tacc[(r + j) * g] += nodes[idx[j]].leaf;
      }
    }
    // The last rows (a single row, when serving).
    for (int64_t r = lockstep_rows; r < n; ++r) AccumulateRow(wx + r * 2 * cols, acc + r * g);
    for (int64_t r = 0; r < n; ++r) Transform(acc + r * g, out + (begin + r) * g, margin);
  }
}

Status TreePredictor::StartBatch(int64_t rows, int64_t cols, Matrix* out, ThreadPool** pool) const {
  if (cols != num_features_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the input has ", cols, " features but the tree model was trained on ", num_features_,
        "; pass the same feature columns, in the same order, as at training"));
  }
  *out = Matrix(rows, num_groups_);
  if (*pool == nullptr) *pool = &ThreadPool::Default();
  return absl::OkStatus();
}

Status TreePredictor::Predict(const Matrix& x, Matrix* out, bool margin, ThreadPool* pool) const {
  KEEL_RETURN_IF_ERROR(StartBatch(x.rows(), x.cols(), out, &pool));
  if (x.rows() == 0) return absl::OkStatus();
  const double* in = x.data();
  double* result = out->data();
  const int64_t cols = num_features_;
  const int g = num_groups_;
  // Chunks of at least 1024 rows keep small batches on the calling thread.
  pool->ParallelFor(x.rows(), 1024, [&](int64_t begin, int64_t end) {
    PredictRows(in + begin * cols, end - begin, result + begin * g, margin);
  });
  return absl::OkStatus();
}

Status TreePredictor::PredictSparse(const transform::SparseMatrix& x, Matrix* out, bool margin,
                                    ThreadPool* pool) const {
  KEEL_RETURN_IF_ERROR(StartBatch(x.rows(), x.cols(), out, &pool));
  if (x.rows() == 0) return absl::OkStatus();
  const int64_t cols = num_features_;
  const int g = num_groups_;
  double* result = out->data();
  pool->ParallelFor(x.rows(), 1024, [&](int64_t begin, int64_t end) {
    // One widened row [x, -x], all missing but the row's entries, which are
    // set and then reset: O(entries) per row, not O(features).
    thread_local std::vector<float> widened;
    if (widened.size() < static_cast<size_t>(2 * cols)) widened.assign(2 * cols, std::nanf(""));
    float* w = widened.data();
    float acc[kAccumulatorFloats];
    for (int64_t r = begin; r < end; ++r) {
      std::span<const int32_t> idx = x.RowIndices(r);
      std::span<const double> val = x.RowValues(r);
      for (size_t i = 0; i < idx.size(); ++i) {
        float v = static_cast<float>(val[i]);
        if (zero_is_missing_ && v == 0) v = std::nanf("");
        w[idx[i]] = v;
        w[cols + idx[i]] = -v;
      }
      std::fill(acc, acc + g, base_margin_);
      AccumulateRow(w, acc);
      Transform(acc, result + r * g, margin);
      for (int32_t c : idx) w[c] = w[cols + c] = std::nanf("");
    }
  });
  return absl::OkStatus();
}

Status TreePredictor::PredictRow(std::span<const double> x, std::span<double> out,
                                 bool margin) const {
  if (static_cast<int64_t>(x.size()) != num_features_ ||
      static_cast<int64_t>(out.size()) != num_groups_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the row has ", x.size(), " features (output room for ", out.size(),
        ") but the tree model takes ", num_features_, " features and gives ", num_groups_,
        " outputs; pass the same feature columns, in the same order, as at training"));
  }
  PredictRows(x.data(), 1, out.data(), margin);
  return absl::OkStatus();
}

}  // namespace keel::learn::trees
