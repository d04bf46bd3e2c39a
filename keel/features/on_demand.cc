#include "keel/features/on_demand.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"

namespace keel::features {
namespace {

bool IsNumber(DataType t) { return t == DataType::kInt64 || t == DataType::kFloat64; }
std::string TypeText(DataType t) { return std::string(DataTypeName(t)); }

// Checks the request fields of `view`; `label` prefixes messages.
Status CheckRequestFields(const FeatureDefinitions& definitions, const OnDemandView& view,
                          const std::string& label) {
  for (const TypedName& field : view.request_fields) {
    auto fail = [&](const std::string& what) {
      return absl::InvalidArgumentError(
          absl::StrCat(field.where, ": ", label, "request field '", field.name, "' ", what));
    };
    if (IsExpressionKeyword(field.name)) {
      return fail(
          "is a word of the expression language (true, false, null, and, or, not); "
          "rename it");
    }
    for (const Entity& e : definitions.entities) {
      for (const TypedName& k : e.join_keys) {
        if (k.name == field.name) {
          return fail(absl::StrCat("has the name of a join key of entity '", e.name,
                                   "'; requests carry both by name, so rename it"));
        }
      }
    }
    if (view.FeatureIndex(field.name) >= 0) {
      return fail("has the name of one of the view's features; rename one of them");
    }
    for (const OnDemandView& other : definitions.on_demand_views) {
      for (const TypedName& o : other.request_fields) {
        if (o.name == field.name && o.type != field.type) {
          return fail(absl::StrCat("is declared ", TypeText(field.type), " here but ",
                                   TypeText(o.type), " in on-demand view '", other.name, "' (at ",
                                   o.where,
                                   "); a request carries one value per name, so give it one "
                                   "type"));
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::pair<int, int> YamlScalarPosition(std::string_view yaml, size_t pos, int line, int column,
                                       size_t offset) {
  size_t i = pos;
  const size_t n = yaml.size();
  auto advance = [&] {
    if (yaml[i] == '\n') {
      ++line;
      column = 0;
    } else {
      ++column;
    }
    ++i;
  };
  const char style = i < n ? yaml[i] : ' ';
  size_t indent = 0;  // block scalars: the content's indentation
  if (style == '"' || style == '\'') {
    advance();
  } else if (style == '|' || style == '>') {
    while (i < n && yaml[i] != '\n') advance();
    if (i < n) advance();
    while (i + indent < n && yaml[i + indent] == ' ') ++indent;
  }
  auto skip_indentation = [&] {
    size_t skipped = 0;
    while (i < n && (yaml[i] == ' ' || yaml[i] == '\t') && (indent == 0 || skipped < indent)) {
      advance();
      ++skipped;
    }
  };
  if (indent > 0) skip_indentation();
  for (size_t k = 0; k < offset && i < n; ++k) {
    const char c = yaml[i];
    if (c == '\n') {  // a line break is one character ('\n' or a space)
      advance();
      skip_indentation();
      continue;
    }
    if (((style == '\'' && c == '\'') || (style == '"' && c == '\\')) && i + 1 < n) {
      advance();  // '' and \x stand for one character
    }
    advance();
  }
  return {line + 1, column + 1};
}

Status CompileOnDemandView(const FeatureDefinitions& definitions,
                           const std::vector<std::string>& on_demand_names,
                           const std::function<std::string(size_t, size_t)>& locate,
                           OnDemandView* view) {
  const std::string label = absl::StrCat("on-demand view '", view->name, "': ");
  KEEL_RETURN_IF_ERROR(CheckRequestFields(definitions, *view, label));
  view->inputs = view->request_fields;
  view->feature_inputs.clear();
  std::vector<std::string> candidates;  // every name an expression may use
  for (const TypedName& f : view->request_fields) candidates.push_back(f.name);
  for (const FeatureView& v : definitions.views) {
    for (const TypedName& f : v.features) candidates.push_back(absl::StrCat(v.name, ".", f.name));
  }
  std::vector<std::string> view_names;
  for (const FeatureView& v : definitions.views) view_names.push_back(v.name);

  const ExpressionResolver resolve = [&](std::string_view name) -> StatusOr<ExpressionInput> {
    const std::string text(name);
    const size_t dot = text.find('.');
    if (dot == std::string::npos) {
      for (size_t i = 0; i < view->request_fields.size(); ++i) {
        if (view->request_fields[i].name == text) {
          return ExpressionInput{static_cast<int>(i), view->request_fields[i].type};
        }
      }
      // A feature named without its view?
      std::vector<std::string> qualified;
      for (const FeatureView& v : definitions.views) {
        for (const TypedName& f : v.features) {
          if (f.name == text) qualified.push_back(absl::StrCat("'", v.name, ".", f.name, "'"));
        }
      }
      const std::string hint =
          qualified.empty()
              ? DidYouMean(text, candidates)
              : absl::StrCat(" Features are named view.feature: ", absl::StrJoin(qualified, " or "),
                             "?");
      std::vector<std::string> fields;
      for (const TypedName& f : view->request_fields) fields.push_back(f.name);
      return absl::InvalidArgumentError(
          absl::StrCat("unknown name '", text, "'.", hint,
                       " Request fields: ", fields.empty() ? "(none)" : absl::StrJoin(fields, ", "),
                       "; features of feature views: view.feature"));
    }
    const std::string view_name = text.substr(0, dot);
    const std::string feature = text.substr(dot + 1);
    const FeatureView* source = definitions.FindView(view_name);
    if (source == nullptr) {
      if (std::find(on_demand_names.begin(), on_demand_names.end(), view_name) !=
          on_demand_names.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "'", view_name,
            "' is an on-demand view; expressions read request fields and features of feature "
            "views only (compute from those instead)"));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown feature view '", view_name, "'.", DidYouMean(text, candidates),
          " Feature views: ", view_names.empty() ? "(none)" : absl::StrJoin(view_names, ", ")));
    }
    const TypedName* declared = nullptr;
    std::vector<std::string> features;
    for (const TypedName& f : source->features) {
      if (f.name == feature) declared = &f;
      features.push_back(f.name);
    }
    if (declared == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "feature view '", view_name, "' has no feature '", feature, "'.",
          DidYouMean(feature, features), " Features: ", absl::StrJoin(features, ", ")));
    }
    const int first = static_cast<int>(view->request_fields.size());
    for (size_t j = 0; j < view->feature_inputs.size(); ++j) {
      const FeatureRef& in = view->feature_inputs[j];
      if (in.view == view_name && in.feature == feature) {
        return ExpressionInput{first + static_cast<int>(j), declared->type};
      }
    }
    view->feature_inputs.push_back({view_name, feature});
    view->inputs.push_back({.name = text, .type = declared->type});
    return ExpressionInput{first + static_cast<int>(view->feature_inputs.size()) - 1,
                           declared->type};
  };

  for (size_t i = 0; i < view->features.size(); ++i) {
    OnDemandFeature& f = view->features[i];
    const std::string context = absl::StrCat(label, "feature '", f.name, "'");
    const ExpressionLocator where = [&](size_t offset) {
      return absl::StrCat(locate(i, offset), ": ", context);
    };
    KEEL_ASSIGN_OR_RETURN(Expression e, Expression::Parse(f.expression, resolve, where));
    const std::optional<DataType> t = e.type();
    if (t && *t != f.type && !(IsNumber(*t) && IsNumber(f.type))) {
      return absl::InvalidArgumentError(absl::StrCat(where(0), ": declared ", TypeText(f.type),
                                                     " but the expression gives ", TypeText(*t),
                                                     "; change the type or the expression"));
    }
    f.compiled = std::make_shared<const Expression>(std::move(e));
  }
  return absl::OkStatus();
}

StatusOr<FeatureValue> ToInputType(FeatureValue value, DataType type) {
  if (value.type == type) return value;
  if (value.is_null) {
    value.type = type;
    return value;
  }
  if (type == DataType::kFloat64 && value.type == DataType::kInt64) {
    value.type = DataType::kFloat64;
    value.float_value = static_cast<double>(value.int_value);
    value.int_value = 0;
    return value;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("expected ", TypeText(type), ", found ", TypeText(value.type)));
}

StatusOr<std::vector<int>> OnDemandFeatureIndices(const OnDemandView& view,
                                                  std::span<const std::string> names) {
  std::vector<int> out;
  for (const std::string& name : names) {
    const int index = view.FeatureIndex(name);
    if (index < 0) {
      std::vector<std::string> all;
      for (const OnDemandFeature& f : view.features) all.push_back(f.name);
      return absl::NotFoundError(absl::StrCat("on-demand view '", view.name, "' has no feature '",
                                              name, "'.", DidYouMean(name, all),
                                              " Features: ", absl::StrJoin(all, ", ")));
    }
    out.push_back(index);
  }
  return out;
}

Status EvaluateOnDemandRow(const OnDemandView& view, std::span<const int> features,
                           std::span<const FeatureValue> inputs, int64_t row,
                           std::span<FeatureValue> out) {
  for (size_t i = 0; i < features.size(); ++i) {
    const OnDemandFeature& f = view.features[features[i]];
    FeatureValue v = f.compiled->Evaluate(inputs);
    if (v.is_null || v.type == f.type) {
      v.type = f.type;
      out[i] = std::move(v);
      continue;
    }
    FeatureValue& o = out[i];
    o = FeatureValue{.type = f.type, .is_null = false};
    if (f.type == DataType::kFloat64) {  // from int64
      o.float_value = static_cast<double>(v.int_value);
      continue;
    }
    // int64 from float64: only an integer in range.
    const double x = v.float_value;
    if (f.type != DataType::kInt64 || v.type != DataType::kFloat64 || std::trunc(x) != x ||
        x < -9.2233720368547758e18 || x >= 9.2233720368547758e18) {
      return absl::InvalidArgumentError(absl::StrCat(
          "on-demand feature ", view.name, ":", f.name, " (declared ", TypeText(f.type),
          ") at row ", row, ": the expression gave ", TypeText(v.type), " ",
          v.type == DataType::kFloat64 ? absl::StrCat(x) : "", ", not an int64",
          "; use floor() or ceil() in the expression, or declare the feature float64"));
    }
    o.int_value = static_cast<int64_t>(x);
  }
  return absl::OkStatus();
}

StatusOr<std::vector<Column>> ComputeOnDemandColumns(const OnDemandView& view,
                                                     std::span<const std::string> features,
                                                     std::span<const Column> inputs, int64_t rows) {
  KEEL_ASSIGN_OR_RETURN(std::vector<int> indices, OnDemandFeatureIndices(view, features));
  if (inputs.size() != view.inputs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("on-demand view '", view.name, "' reads ",
                                                   view.inputs.size(), " inputs, given ",
                                                   inputs.size()));
  }
  for (size_t s = 0; s < inputs.size(); ++s) {
    const DataType want = view.inputs[s].type;
    const DataType found = inputs[s].type();
    if (found != want && !(want == DataType::kFloat64 && found == DataType::kInt64)) {
      return absl::InvalidArgumentError(absl::StrCat("on-demand view '", view.name, "': input '",
                                                     view.inputs[s].name, "': expected ",
                                                     TypeText(want), ", found ", TypeText(found)));
    }
    if (inputs[s].length() != rows) {
      return absl::InvalidArgumentError(absl::StrCat("on-demand view '", view.name, "': input '",
                                                     view.inputs[s].name, "' has ",
                                                     inputs[s].length(), " rows, expected ", rows));
    }
  }
  std::vector<ColumnBuilder> builders;
  for (int index : indices) {
    builders.emplace_back(view.features[index].type);
    builders.back().Reserve(rows);
  }
  std::vector<FeatureValue> in(inputs.size());
  std::vector<FeatureValue> out(indices.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (size_t s = 0; s < inputs.size(); ++s) {
      KEEL_ASSIGN_OR_RETURN(in[s], ToInputType(ValueAt(inputs[s], r), view.inputs[s].type));
    }
    KEEL_RETURN_IF_ERROR(EvaluateOnDemandRow(view, indices, in, r, out));
    for (size_t i = 0; i < out.size(); ++i) AppendFeatureValue(out[i], &builders[i]);
  }
  std::vector<Column> columns;
  for (ColumnBuilder& b : builders) columns.push_back(b.Finish());
  return columns;
}

StatusOr<FeatureReads> PlanFeatureReads(const FeatureDefinitions& definitions,
                                        std::span<const FeatureRef> refs) {
  FeatureReads out;
  for (const FeatureRef& ref : refs) {
    const FeatureView* view = definitions.FindView(ref.view);
    const OnDemandView* computed =
        view == nullptr ? definitions.FindOnDemandView(ref.view) : nullptr;
    if (view == nullptr && computed == nullptr) {
      std::vector<std::string> names;
      for (const FeatureView& v : definitions.views) names.push_back(v.name);
      for (const OnDemandView& v : definitions.on_demand_views) names.push_back(v.name);
      return absl::NotFoundError(absl::StrCat("unknown feature view '", ref.view, "'.",
                                              DidYouMean(ref.view, names),
                                              " Views: ", absl::StrJoin(names, ", ")));
    }
    if (computed != nullptr) {
      auto it = std::find_if(out.on_demand.begin(), out.on_demand.end(),
                             [&](const auto& p) { return p.first == computed; });
      if (it == out.on_demand.end()) it = out.on_demand.insert(out.on_demand.end(), {computed, {}});
      it->second.push_back(ref.feature);
      continue;
    }
    if (out.by_view.count(ref.view) == 0) out.view_order.push_back(ref.view);
    out.by_view[ref.view].push_back(ref.feature);
  }
  for (const auto& [computed, names] : out.on_demand) {
    for (const FeatureRef& in : computed->feature_inputs) {
      if (out.by_view.count(in.view) == 0) out.view_order.push_back(in.view);
      std::vector<std::string>& features = out.by_view[in.view];
      if (std::find(features.begin(), features.end(), in.feature) == features.end()) {
        features.push_back(in.feature);
      }
    }
  }
  return out;
}

}  // namespace keel::features
