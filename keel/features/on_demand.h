// On-demand features: computed when asked for, from request fields and
// features of feature views, by the expressions of features.yaml's
// `on_demand_views` (expression.h). One function computes a row,
// EvaluateOnDemandRow; training sets (ComputeOnDemandColumns, called by
// get-historical), get-online-features and served models all call it, so
// they give the same values bit for bit, nulls included.
#ifndef KEEL_FEATURES_ON_DEMAND_H_
#define KEEL_FEATURES_ON_DEMAND_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/base/status.h"
#include "keel/features/definitions.h"
#include "keel/features/expression.h"
#include "keel/features/online_store.h"
#include "keel/table/table.h"

namespace keel::features {

// Where character `offset` of the value of a YAML scalar is in the file, as
// (line, column), both 1-based. `pos`, `line` and `column` (0-based) are
// where the scalar starts in `yaml` (its first character: the value, a
// quote, or a block indicator `|`/`>`). Quoted escapes and folded line
// breaks count as the one character they stand for.
std::pair<int, int> YamlScalarPosition(std::string_view yaml, size_t pos, int line, int column,
                                       size_t offset);

// Checks `view` (names, types and expression texts parsed) against
// `definitions` (its feature views, and the on-demand views before it),
// compiles each feature's expression and fills view->feature_inputs and
// view->inputs. `on_demand_names`: every on-demand view's name (an
// expression may not read one). `locate(i, offset)`: the file position of
// character `offset` of feature i's expression. Errors: InvalidArgument (as
// FeatureDefinitions::Parse lists) at the request field, or at the
// character of the expression.
Status CompileOnDemandView(const FeatureDefinitions& definitions,
                           const std::vector<std::string>& on_demand_names,
                           const std::function<std::string(size_t, size_t)>& locate,
                           OnDemandView* view);

// `value` as an input of type `type`: unchanged when null or of that type,
// an int64 as a float64. Errors: InvalidArgument "expected float64, found
// string".
StatusOr<FeatureValue> ToInputType(FeatureValue value, DataType type);

// The indices in view.features of `names`. Errors: NotFound for a name that
// is not one of its features (did-you-mean, the features).
StatusOr<std::vector<int>> OnDemandFeatureIndices(const OnDemandView& view,
                                                  std::span<const std::string> names);

// Features `features` (indices into view.features) of one row: out[i] is
// feature features[i], null or of its declared type, computed from
// `inputs`, one per slot of view.inputs (request fields, then feature
// inputs), each null or of the slot's type (ToInputType). `row` only names
// the row in messages. Errors: InvalidArgument naming the view, feature and
// row when a float64 result is not an integer for an int64 feature.
Status EvaluateOnDemandRow(const OnDemandView& view, std::span<const int> features,
                           std::span<const FeatureValue> inputs, int64_t row,
                           std::span<FeatureValue> out);

// The columns of features `features` (names) of `view` over `rows` rows of
// `inputs` (one column per slot of view.inputs, `rows` long; a float64 slot
// takes an int64 column), each of its feature's declared type, row by row
// through EvaluateOnDemandRow. Errors: NotFound for an unknown feature;
// InvalidArgument for a column of another type (naming the input) or
// length; EvaluateOnDemandRow's.
// What reading `refs` takes: each feature view in first-use order with its
// features (those asked for, then those the asked-for on-demand views read
// and were not asked for), and the on-demand views asked for, in first-use
// order, with their features. Shared by get-historical and online reads.
struct FeatureReads {
  std::vector<std::string> view_order;
  std::map<std::string, std::vector<std::string>> by_view;
  std::vector<std::pair<const OnDemandView*, std::vector<std::string>>> on_demand;
};
// Errors: NotFound for a reference to neither a feature view nor an
// on-demand view (did-you-mean, the views).
StatusOr<FeatureReads> PlanFeatureReads(const FeatureDefinitions& definitions,
                                        std::span<const FeatureRef> refs);

StatusOr<std::vector<Column>> ComputeOnDemandColumns(const OnDemandView& view,
                                                     std::span<const std::string> features,
                                                     std::span<const Column> inputs, int64_t rows);

}  // namespace keel::features

#endif  // KEEL_FEATURES_ON_DEMAND_H_
