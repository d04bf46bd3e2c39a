// Point-in-time training sets for a feature service: the features of each
// of its views joined onto entity rows (PointInTimeJoin per view).
#ifndef KEEL_FEATURES_HISTORICAL_H_
#define KEEL_FEATURES_HISTORICAL_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/features/definitions.h"
#include "keel/table/table.h"

namespace keel::features {

// The rows of a source (the CLI reads its lake dataset). Errors pass through.
using SourceReader = std::function<StatusOr<Table>(const Source&)>;

// The output column of feature `feature` of view `view`: "view__feature"
// (always qualified, so a column's name does not depend on what else the
// service holds).
std::string FeatureColumnName(std::string_view view, std::string_view feature);

// Checks that `rows`, read from `view`'s source, has the source's
// timestamp_field (a timestamp), the view's join keys and the features named
// in `features` (empty: all of the view's) with their declared types (for an
// aggregated feature: the column it aggregates).
// Errors: InvalidArgument naming the view, source, dataset and column, with
// the closest names or "expected float64, found int64".
Status CheckSourceTable(const FeatureDefinitions& definitions, const FeatureView& view,
                        const Table& rows, const std::vector<std::string>& features);

// Every entity row in order with its columns unchanged, then one column per
// feature of `service` in the service's order, named FeatureColumnName:
// for each row, the value from the latest row of the view's source with
// equal join keys whose timestamp_field is at or before the row's
// `entity_time` and within the view's TTL (ties: the greater
// created_timestamp_field, then the later row); null when there is none.
// An aggregated feature (FeatureView::aggregations) is instead the
// aggregate over the entity's source rows in its window ending at the row's
// time (ComputeHistoricalAggregates in aggregation.h; no TTL). An
// on-demand feature is computed row by row (ComputeOnDemandColumns in
// on_demand.h) from the row's request fields, which the entity rows must
// have as columns (an int64 column serves a float64 field), and the features
// its expression reads, joined as above (also when the service does not
// list them). Each source is read once per view that uses it.
//
// Errors: NotFound for an unknown service (did-you-mean, the services);
// InvalidArgument (naming the view and the column, with the closest names)
// for an entity table without a join key or `entity_time`, or with one of
// another type than declared (the time must be a timestamp), or without a
// request field of an on-demand view (naming it and the view); for a source
// table without the timestamp field, a join key or a declared feature, or
// with one of another type than declared ("expected float64, found int64");
// `read`'s errors and PointInTimeJoin's, prefixed with the view (and source);
// ComputeOnDemandColumns' errors.
StatusOr<Table> GetHistoricalFeatures(const FeatureDefinitions& definitions,
                                      std::string_view service, const Table& entities,
                                      std::string_view entity_time, const SourceReader& read);

}  // namespace keel::features

#endif  // KEEL_FEATURES_HISTORICAL_H_
