#include "keel/features/derived.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/features/expression.h"
#include "keel/features/on_demand.h"
#include "keel/features/online_store.h"

namespace keel::features {

Status CompileDerivedFeatures(const std::function<std::string(size_t, size_t)>& locate,
                              FeatureView* view) {
  std::vector<const TypedName*> plain;  // what expressions may read
  std::vector<std::string> names;
  for (const TypedName& f : view->features) {
    if (view->FindAggregation(f.name) != nullptr || view->FindDerived(f.name) != nullptr) continue;
    plain.push_back(&f);
    names.push_back(f.name);
  }
  for (size_t i = 0; i < view->derived.size(); ++i) {
    DerivedFeature& d = view->derived[i];
    d.inputs.clear();
    const std::string context =
        absl::StrCat("feature view '", view->name, "': feature '", d.name, "'");
    const ExpressionResolver resolve = [&](std::string_view name) -> StatusOr<ExpressionInput> {
      const std::string text(name);
      for (size_t slot = 0; slot < d.inputs.size(); ++slot) {
        if (d.inputs[slot].name == text) {
          return ExpressionInput{static_cast<int>(slot), d.inputs[slot].type};
        }
      }
      for (const TypedName* f : plain) {
        if (f->name != text) continue;
        d.inputs.push_back(*f);
        return ExpressionInput{static_cast<int>(d.inputs.size()) - 1, f->type};
      }
      return absl::InvalidArgumentError(
          absl::StrCat("unknown name '", text, "'.", DidYouMean(text, names),
                       " A computed feature reads the view's plain features of the same row: ",
                       names.empty() ? "(none)" : absl::StrJoin(names, ", ")));
    };
    const ExpressionLocator where = [&](size_t offset) {
      return absl::StrCat(locate(i, offset), ": ", context);
    };
    KEEL_ASSIGN_OR_RETURN(Expression e, Expression::Parse(d.expression, resolve, where));
    const std::optional<DataType> t = e.type();
    if (t && *t != d.type && !(*t == DataType::kInt64 && d.type == DataType::kFloat64)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where(0), ": declared ", std::string(DataTypeName(d.type)), " but the expression gives ",
          std::string(DataTypeName(*t)), "; change the type or the expression"));
    }
    d.compiled = std::make_shared<const Expression>(std::move(e));
  }
  return absl::OkStatus();
}

StatusOr<Table> AddDerivedFeatures(const FeatureView& view, const Table& rows) {
  if (view.derived.empty()) return rows;
  std::vector<std::string> names = rows.schema().names();
  std::vector<Column> columns = rows.columns();
  for (const DerivedFeature& d : view.derived) {
    const std::string what =
        absl::StrCat("feature view '", view.name, "': feature '", d.name, "' (", d.where, ")");
    std::vector<Column> inputs;
    for (const TypedName& in : d.inputs) {
      StatusOr<Column> c = rows.ColumnByName(in.name);
      if (!c.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, " is computed from '", in.name,
            "', which the rows lack. Columns: ", absl::StrJoin(rows.schema().names(), ", ")));
      }
      if (c->type() != in.type &&
          !(c->type() == DataType::kInt64 && in.type == DataType::kFloat64)) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, " is computed from '", in.name, "', declared ",
                         std::string(DataTypeName(in.type)), " but ",
                         std::string(DataTypeName(c->type())), " in the rows"));
      }
      inputs.push_back(*std::move(c));
    }
    ColumnBuilder out(d.type);
    out.Reserve(rows.num_rows());
    std::vector<FeatureValue> values(inputs.size());
    for (int64_t r = 0; r < rows.num_rows(); ++r) {
      for (size_t k = 0; k < inputs.size(); ++k) {
        KEEL_ASSIGN_OR_RETURN(values[k], ToInputType(ValueAt(inputs[k], r), d.inputs[k].type));
      }
      KEEL_ASSIGN_OR_RETURN(FeatureValue v, ToInputType(d.compiled->Evaluate(values), d.type));
      AppendFeatureValue(v, &out);
    }
    const auto at = std::find(names.begin(), names.end(), d.name);
    if (at == names.end()) {
      names.push_back(d.name);
      columns.push_back(out.Finish());
    } else {
      columns[at - names.begin()] = out.Finish();
    }
  }
  return Table::Make(names, std::move(columns));
}

}  // namespace keel::features
