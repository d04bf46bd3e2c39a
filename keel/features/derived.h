// A feature view's transform: features computed from the view's other plain
// features of the same source row, declared with `expression:`
//
//   features:
//     - {name: spend, type: float64}
//     - {name: orders, type: int64}
//     - {name: spend_per_order, type: float64, expression: "spend / orders"}
//
// in the expression language of on-demand views (expression.h). They are
// computed from the source rows wherever a view's rows enter Keel (read for
// get-historical, materialised, pushed, streamed), by the same code, so the
// values agree offline and online; a push may not carry them.
#ifndef KEEL_FEATURES_DERIVED_H_
#define KEEL_FEATURES_DERIVED_H_

#include <cstddef>
#include <functional>
#include <string>

#include "keel/base/status.h"
#include "keel/features/definitions.h"
#include "keel/table/table.h"

namespace keel::features {

// Compiles each DerivedFeature of `view` (name, type, expression and where
// set): its names are the view's plain features (not aggregated, not
// derived), read from the same row. `locate(i, offset)` is the place of
// character `offset` of derived feature i's expression. Errors:
// InvalidArgument at that place: the expression's errors, an unknown name
// (did-you-mean, the names it may use), a result of another type than
// declared (an int64 result may feed a float64 feature).
Status CompileDerivedFeatures(const std::function<std::string(size_t, size_t)>& locate,
                              FeatureView* view);

// `rows` with one column per derived feature of `view`, of its declared
// type, computed row by row (replacing a column of that name; the rows are
// returned as they are when the view has none). The inputs must be columns
// of `rows` of their declared types (an int64 column may feed a float64
// one). Errors: InvalidArgument naming the view, feature and column.
StatusOr<Table> AddDerivedFeatures(const FeatureView& view, const Table& rows);

}  // namespace keel::features

#endif  // KEEL_FEATURES_DERIVED_H_
