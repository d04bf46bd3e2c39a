#include "keel/learn/linear/common.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "keel/base/json_string.h"
#include "nlohmann/json.hpp"

namespace keel::learn::linear_internal {
namespace {

std::string ColumnName(int64_t column, const std::vector<std::string>& names) {
  std::string out = absl::StrCat("column ", column);
  if (column < static_cast<int64_t>(names.size()) && !names[column].empty()) {
    absl::StrAppend(&out, " ('", names[column], "')");
  }
  return out;
}

// InvalidArgument for the non-finite `value` at `row` (-1: not shown) and
// `column`.
Status NonFiniteError(std::string_view learner, double value, int64_t row, int64_t column,
                      const std::vector<std::string>& names) {
  const bool nan = std::isnan(value);
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(learner), ": X has ", nan ? "a missing value (NaN)" : "an infinite value", " at ",
      row >= 0 ? absl::StrCat("row ", row, ", ") : "", ColumnName(column, names),
      nan ? "; linear models cannot take missing values: add an impute step (for example "
            "impute with strategy mean or median) before this model, or drop those rows"
          : "; replace or clip infinite values before this model"));
}

}  // namespace

Status CheckTask(const Learner& learner, Task task) {
  std::string names;
  for (Task t : learner.tasks()) {
    if (t == task) return absl::OkStatus();
    absl::StrAppend(&names, names.empty() ? "" : ", ", std::string(TaskName(t)));
  }
  return absl::InvalidArgumentError(absl::StrCat(std::string(learner.name()), " does not do task '",
                                                 std::string(TaskName(task)), "'; it does: ", names,
                                                 ". Pick another model for this task."));
}

Status CheckFiniteRow(std::string_view learner, std::span<const double> values, int64_t row,
                      const std::vector<std::string>& names) {
  for (size_t c = 0; c < values.size(); ++c) {
    if (!std::isfinite(values[c])) {
      return NonFiniteError(learner, values[c], row, static_cast<int64_t>(c), names);
    }
  }
  return absl::OkStatus();
}

Status CheckFiniteSparse(std::string_view learner, const transform::SparseMatrix& x,
                         const std::vector<std::string>& names) {
  for (int64_t r = 0; r < x.rows(); ++r) {
    const std::span<const double> values = x.RowValues(r);
    for (size_t i = 0; i < values.size(); ++i) {
      if (!std::isfinite(values[i])) {
        return NonFiniteError(learner, values[i], r, x.RowIndices(r)[i], names);
      }
    }
  }
  return absl::OkStatus();
}

int64_t TrainRows(const TrainData& train) {
  return train.sparse != nullptr ? train.sparse->rows() : train.x.rows();
}

int64_t TrainCols(const TrainData& train) {
  return train.sparse != nullptr ? train.sparse->cols() : train.x.cols();
}

Status CheckNumFeatures(std::string_view learner, int64_t cols, int64_t expected) {
  if (cols == expected) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(learner), ": X has ", cols, " columns but the model was trained on ",
                   expected, " features; pass the same feature columns, in the same order"));
}

Status CheckTrainData(const Learner& learner, const TrainData& train) {
  const std::string name(learner.name());
  KEEL_RETURN_IF_ERROR(CheckTask(learner, train.task));
  if (train.sparse != nullptr && !learner.takes_sparse()) return SparseNotSupported(name);
  const int64_t n = TrainRows(train);
  if (n == 0 || TrainCols(train) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": no training data (", n, " rows, ",
                                                   TrainCols(train), " feature columns)"));
  }
  if (train.sparse != nullptr) {
    KEEL_RETURN_IF_ERROR(CheckFiniteSparse(name, *train.sparse, train.feature_names));
  } else {
    for (int64_t r = 0; r < n; ++r) {
      KEEL_RETURN_IF_ERROR(CheckFiniteRow(name, train.x.row(r), r, train.feature_names));
    }
  }
  if (IsSupervised(train.task)) {
    if (static_cast<int64_t>(train.y.size()) != n) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": y has ", train.y.size(),
                                                     " values but X has ", n,
                                                     " rows; give one target value per row"));
    }
    int k = train.task == Task::kBinary ? 2 : train.num_classes;
    if (train.task == Task::kMulticlass && k < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": multiclass needs num_classes >= 2 (got ", train.num_classes, ")"));
    }
    for (int64_t i = 0; i < n; ++i) {
      const double y = train.y[i];
      if (!std::isfinite(y)) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ": y is ", std::isnan(y) ? "missing (NaN)" : "infinite", " at row ",
                         i, "; drop rows without a target before training"));
      }
      if (train.task != Task::kRegression && (y != std::floor(y) || y < 0 || y >= k)) {
        return absl::InvalidArgumentError(absl::StrCat(name, ": label ", y, " at row ", i,
                                                       " is not a class index 0..", k - 1,
                                                       "; encode the labels as 0..num_classes-1"));
      }
    }
  } else if (!train.y.empty() && static_cast<int64_t>(train.y.size()) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": y has ", train.y.size(), " values but X has ", n, " rows"));
  }
  if (!train.weights.empty()) {
    if (static_cast<int64_t>(train.weights.size()) != n) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", train.weights.size(),
                                                     " sample weights for ", n,
                                                     " rows; give one weight per row"));
    }
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double w = train.weights[i];
      if (!std::isfinite(w) || w < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ": sample weight ", w, " at row ", i, " must be finite and >= 0"));
      }
      sum += w;
    }
    if (!(sum > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": the sample weights sum to 0; at least one row must weigh > 0"));
    }
  }
  return absl::OkStatus();
}

std::vector<double> WeightsOrOnes(const TrainData& train) {
  if (train.weights.empty()) return std::vector<double>(static_cast<size_t>(TrainRows(train)), 1.0);
  return std::vector<double>(train.weights.begin(), train.weights.end());
}

void AppendDouble(double value, std::string* out) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  if (value == 0 && std::signbit(value)) {
    out->append("-0.0");  // "-0" would read back as the integer 0
    return;
  }
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, end);
}

std::string FlatJson(const nlohmann::json& object) {
  if (!object.is_object()) return "{}";
  std::string out = "{";
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (out.size() > 1) out += ',';
    AppendJsonString(it.key(), &out);
    out += ':';
    const nlohmann::json& v = it.value();
    if (v.is_number_float()) {
      AppendDouble(v.get<double>(), &out);
    } else if (v.is_string()) {
      AppendJsonString(v.get<std::string>(), &out);
    } else {
      out += v.dump();
    }
  }
  out += '}';
  return out;
}

void JsonWriter::Key(std::string_view key) {
  if (out_.size() > 1) out_ += ',';
  AppendJsonString(key, &out_);
  out_ += ':';
}

void JsonWriter::String(std::string_view key, std::string_view value) {
  Key(key);
  AppendJsonString(value, &out_);
}

void JsonWriter::Int(std::string_view key, int64_t value) {
  Key(key);
  out_ += std::to_string(value);
}

void JsonWriter::Bool(std::string_view key, bool value) {
  Key(key);
  out_ += value ? "true" : "false";
}

void JsonWriter::Double(std::string_view key, double value) {
  Key(key);
  AppendDouble(value, &out_);
}

void JsonWriter::Doubles(std::string_view key, std::span<const double> values) {
  Key(key);
  out_ += '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out_ += ',';
    AppendDouble(values[i], &out_);
  }
  out_ += ']';
}

void JsonWriter::DoubleRows(std::string_view key, std::span<const double> values, int64_t cols) {
  Key(key);
  out_ += '[';
  const size_t c = static_cast<size_t>(cols);
  for (size_t r = 0; c > 0 && r * c < values.size(); ++r) {
    if (r > 0) out_ += ',';
    out_ += '[';
    for (size_t j = 0; j < c; ++j) {
      if (j > 0) out_ += ',';
      AppendDouble(values[r * c + j], &out_);
    }
    out_ += ']';
  }
  out_ += ']';
}

void JsonWriter::Strings(std::string_view key, const std::vector<std::string>& values) {
  Key(key);
  out_ += '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out_ += ',';
    AppendJsonString(values[i], &out_);
  }
  out_ += ']';
}

void JsonWriter::Raw(std::string_view key, std::string_view json) {
  Key(key);
  out_ += json;
}

std::string JsonWriter::Finish() && {
  out_ += '}';
  return std::move(out_);
}

Status ParsePayload(std::string_view payload, std::string_view learner, std::string_view format,
                    nlohmann::json* doc) {
  try {
    *doc = nlohmann::json::parse(payload.begin(), payload.end());
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(
        absl::StrCat(std::string(learner), " model payload is not valid JSON: ", e.what()));
  }
  if (!doc->is_object()) {
    return absl::DataLossError(
        absl::StrCat(std::string(learner), " model payload is not a JSON object"));
  }
  StatusOr<std::string> got = GetString(*doc, "format");
  if (!got.ok() || *got != format) {
    return absl::DataLossError(absl::StrCat(
        std::string(learner), " model payload has format '", got.ok() ? *got : "(none)",
        "', expected '", std::string(format), "'; was it saved by another learner?"));
  }
  return absl::OkStatus();
}

namespace {

Status Missing(std::string_view key, std::string_view what) {
  return absl::DataLossError(absl::StrCat("model payload: field '", std::string(key),
                                          "' is missing or not ", std::string(what)));
}

const nlohmann::json* Find(const nlohmann::json& doc, std::string_view key) {
  auto it = doc.find(std::string(key));
  return it == doc.end() ? nullptr : &*it;
}

bool ToDouble(const nlohmann::json& v, double* out) {
  if (v.is_number()) {
    *out = v.get<double>();
    return true;
  }
  if (v.is_null()) {  // NaN or infinity on the way out
    *out = std::nan("");
    return true;
  }
  return false;
}

}  // namespace

StatusOr<std::string> GetString(const nlohmann::json& doc, std::string_view key) {
  const nlohmann::json* v = Find(doc, key);
  if (v == nullptr || !v->is_string()) return Missing(key, "a string");
  return v->get<std::string>();
}

StatusOr<int64_t> GetInt(const nlohmann::json& doc, std::string_view key) {
  const nlohmann::json* v = Find(doc, key);
  if (v == nullptr || !v->is_number_integer()) return Missing(key, "an integer");
  return v->get<int64_t>();
}

StatusOr<bool> GetBool(const nlohmann::json& doc, std::string_view key) {
  const nlohmann::json* v = Find(doc, key);
  if (v == nullptr || !v->is_boolean()) return Missing(key, "true or false");
  return v->get<bool>();
}

StatusOr<double> GetDouble(const nlohmann::json& doc, std::string_view key) {
  const nlohmann::json* v = Find(doc, key);
  double out = 0;
  if (v == nullptr || !ToDouble(*v, &out)) return Missing(key, "a number");
  return out;
}

StatusOr<std::vector<double>> GetDoubles(const nlohmann::json& doc, std::string_view key,
                                         int64_t size) {
  const nlohmann::json* v = Find(doc, key);
  if (v == nullptr || !v->is_array() || (size >= 0 && static_cast<int64_t>(v->size()) != size)) {
    return Missing(key,
                   absl::StrCat("a list of ", size < 0 ? "" : absl::StrCat(size, " "), "numbers"));
  }
  std::vector<double> out(v->size());
  for (size_t i = 0; i < v->size(); ++i) {
    if (!ToDouble((*v)[i], &out[i])) return Missing(key, "a list of numbers");
  }
  return out;
}

StatusOr<std::vector<double>> GetDoubleRows(const nlohmann::json& doc, std::string_view key,
                                            int64_t rows, int64_t cols) {
  const nlohmann::json* v = Find(doc, key);
  const std::string what = absl::StrCat(rows, " lists of ", cols, " numbers");
  if (v == nullptr || !v->is_array() || static_cast<int64_t>(v->size()) != rows) {
    return Missing(key, what);
  }
  std::vector<double> out(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    const nlohmann::json& row = (*v)[r];
    if (!row.is_array() || static_cast<int64_t>(row.size()) != cols) return Missing(key, what);
    for (int64_t c = 0; c < cols; ++c) {
      if (!ToDouble(row[c], &out[r * cols + c])) return Missing(key, what);
    }
  }
  return out;
}

StatusOr<std::vector<std::string>> GetStrings(const nlohmann::json& doc, std::string_view key) {
  const nlohmann::json* v = Find(doc, key);
  if (v == nullptr || !v->is_array()) return Missing(key, "a list of strings");
  std::vector<std::string> out;
  for (const nlohmann::json& s : *v) {
    if (!s.is_string()) return Missing(key, "a list of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

}  // namespace keel::learn::linear_internal
