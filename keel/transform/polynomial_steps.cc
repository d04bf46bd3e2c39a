// The `polynomial` step: degree-2 terms of the selected numeric columns, as
// scikit-learn 1.2's PolynomialFeatures(degree=2, include_bias=False) (with
// interaction_only=True: products of distinct columns only). A joint step:
// the outputs of one column read the others.
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keel/transform/column_util.h"
#include "keel/transform/steps.h"

namespace keel::transform {
namespace {

// At most this many outputs in all (n columns give n(n+3)/2 with squares).
constexpr int64_t kMaxOutputs = 100000;

// The per-value kernel of both paths: a product, null when a factor is
// missing (null or NaN) or the product is NaN (inf * 0).
inline Value Product(const Value& a, const Value& b) {
  if (a.IsMissingNumber() || b.IsMissingNumber()) return Value::Null(DataType::kFloat64);
  return Float64OrNull(a.AsDouble() * b.AsDouble());
}

// Input k is replaced by [x_k, x_k^2 (when squares), x_k*x_m for m > k], all
// float64: every degree-1 and degree-2 term once, each at the place of its
// first factor.
class PolynomialStep : public FittedStep {
 public:
  PolynomialStep(std::string name, std::vector<std::string> inputs, bool squares)
      : FittedStep("polynomial", std::move(name), kNumericTypes, std::move(inputs)),
        squares_(squares) {}

  bool joint() const override { return true; }

  std::vector<Field> OutputFields(int k) const override {
    const std::vector<std::string>& in = inputs();
    std::vector<Field> out = {Field{in[k], DataType::kFloat64, true}};
    if (squares_) out.push_back(Field{absl::StrCat(in[k], "^2"), DataType::kFloat64, true});
    for (size_t m = k + 1; m < in.size(); ++m) {
      out.push_back(Field{absl::StrCat(in[k], "*", in[m]), DataType::kFloat64, true});
    }
    return out;
  }

  Status TransformValue(int, const Value&, Value*) const override {
    return absl::InternalError(absl::StrCat(Label(), ": a joint step has no per-column path"));
  }

  Status TransformJoint(Value* slots, const int* in_slots, const int* out_first) const override {
    const int n = static_cast<int>(inputs().size());
    for (int k = 0; k < n; ++k) {
      const Value& x = slots[in_slots[k]];
      Value* out = slots + out_first[k];
      out[0] = x.IsMissingNumber() ? Value::Null(DataType::kFloat64) : Value::Float64(x.AsDouble());
      int j = 1;
      if (squares_) out[j++] = Product(x, x);
      for (int m = k + 1; m < n; ++m) out[j++] = Product(x, slots[in_slots[m]]);
    }
    return absl::OkStatus();
  }

  static StatusOr<std::unique_ptr<FittedStep>> Load(const std::string& name,
                                                    std::vector<std::string> inputs,
                                                    const nlohmann::json& state) {
    if (inputs.empty()) return absl::InvalidArgumentError("at least one input expected");
    return std::make_unique<PolynomialStep>(name, std::move(inputs),
                                            state.at("include_squares").get<bool>());
  }

 protected:
  StatusOr<std::vector<Column>> TransformColumn(int, const Column&) const override {
    return absl::InternalError(absl::StrCat(Label(), ": a joint step has no per-column path"));
  }

  StatusOr<std::vector<std::vector<Column>>> TransformColumnsJoint(
      const std::vector<const Column*>& inputs) const override {
    const int n = static_cast<int>(inputs.size());
    const int64_t rows = n == 0 ? 0 : inputs[0]->length();
    // Every input as (value, missing) once; the products read these.
    std::vector<std::vector<Value>> values(n, std::vector<Value>(rows));
    for (int k = 0; k < n; ++k) {
      std::vector<Value>& v = values[k];
      ForEachNumber(*inputs[k], [&](int64_t i, double x, bool missing) {
        v[i] = missing ? Value::Null(DataType::kFloat64) : Value::Float64(x);
      });
    }
    auto write = [rows](auto&& value_at) {
      Float64Writer w(rows);
      for (int64_t i = 0; i < rows; ++i) {
        const Value v = value_at(i);
        if (v.valid) {
          w.Set(i, v.f64);
        } else {
          w.SetNull(i);
        }
      }
      return w.Finish();
    };
    std::vector<std::vector<Column>> out(n);
    for (int k = 0; k < n; ++k) {
      const std::vector<Value>& x = values[k];
      out[k].push_back(write([&](int64_t i) { return x[i]; }));
      if (squares_) out[k].push_back(write([&](int64_t i) { return Product(x[i], x[i]); }));
      for (int m = k + 1; m < n; ++m) {
        const std::vector<Value>& y = values[m];
        out[k].push_back(write([&](int64_t i) { return Product(x[i], y[i]); }));
      }
    }
    return out;
  }

  nlohmann::json StateToJson() const override { return {{"include_squares", squares_}}; }

 private:
  bool squares_;
};

class PolynomialTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table&,
                                                const std::vector<std::string>& columns,
                                                FitNotes*) const override {
    const Params& params = spec().params;
    KEEL_ASSIGN_OR_RETURN(bool interaction_only, params.GetBool("interaction_only", false));
    KEEL_ASSIGN_OR_RETURN(bool squares, params.GetBool("include_squares", !interaction_only));
    if (interaction_only && squares) {
      return params.Error("include_squares",
                          "contradicts interaction_only: true (which leaves out squares); set "
                          "only one of them");
    }
    const int64_t n = static_cast<int64_t>(columns.size());
    const int64_t outputs = n + (squares ? n : 0) + n * (n - 1) / 2;
    if (outputs > kMaxOutputs) {
      return absl::InvalidArgumentError(absl::StrCat(
          spec().where.empty() ? "" : spec().where + ": ", spec().Label(), ": ", n,
          " columns give ", outputs, " terms (at most ", kMaxOutputs, "); select fewer columns"));
    }
    return std::make_unique<PolynomialStep>(spec().name, columns, squares);
  }
};

}  // namespace

void RegisterPolynomialSteps(TransformRegistry* registry) {
  (void)registry->Register(
      {.kind = "polynomial",
       .help = "degree-2 terms: each column, its square and its products with the others",
       .accepts = kNumericTypes,
       .params = {"interaction_only", "include_squares"},
       .make = MakeFactory<PolynomialTransform>(kNumericTypes),
       .load = PolynomialStep::Load});
}

}  // namespace keel::transform
