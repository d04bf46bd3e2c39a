// Online feature retrieval in the shape of Feast's feature server
// (`POST /get-online-features`), shared by `keel serve` (POST /v1/features)
// and `keel features get-online`.
//
// Request:  {"feature_service": "fraud"}  or  {"features": ["stats:spend_7d", ...]},
//           plus "entities": {"customer_id": [1, 2]} and optionally
//           "full_feature_names": true. The request fields of on-demand
//           views go in "request_context": {"amount": [12.5, null]} (the
//           field of Feast's GetOnlineFeaturesRequest proto, as its Go and
//           Java servers take it) or, as Feast's Python server takes them,
//           in "entities"; "request_context" wins when both have a name.
// Response: {"metadata": {"feature_names": ["customer_id", "spend_7d", ...]},
//            "results": [{"values": [...], "statuses": [...],
//                         "event_timestamps": [...]}, ...]}
// one result per name, entity columns first; statuses PRESENT, NULL_VALUE,
// NOT_FOUND or OUTSIDE_MAX_AGE; event times RFC 3339 (entity columns and
// missing rows: 1970-01-01T00:00:00Z, as Feast).
#ifndef KEEL_FEATURES_ONLINE_FEATURES_H_
#define KEEL_FEATURES_ONLINE_FEATURES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/base/status.h"
#include "keel/features/definitions.h"
#include "keel/features/online_store.h"

namespace keel::features {

struct OnlineFeaturesRequest {
  std::string feature_service;        // either this...
  std::vector<std::string> features;  // ...or "view:feature" references
  // Join key name -> one value per entity row, as JSON scalars: numbers for
  // int64 keys, strings for string keys (kept in request order).
  struct EntityColumn {
    std::string name;
    std::vector<std::string> values;  // as text: "42", "abc"
    bool numbers = false;             // every value was a JSON number
  };
  std::vector<EntityColumn> entities;
  // Request field name -> one value per entity row, typed as JSON typed it
  // (null; bool; int64 for an integer, float64 for another number; string).
  struct RequestColumn {
    std::string name;
    std::vector<FeatureValue> values;
  };
  std::vector<RequestColumn> request_context;
  bool full_feature_names = false;  // "view__feature" instead of "feature"
};

// Parses a request body. Errors: InvalidArgument naming the field (not JSON,
// neither or both of feature_service / features, entities not an object of
// equal-length arrays of numbers or strings, request_context not an object
// of arrays of scalars as long as the entities', no rows).
StatusOr<OnlineFeaturesRequest> ParseOnlineFeaturesRequest(std::string_view body);

// Resolves the request against `definitions`, reads `store` once per feature
// view (twice for a view with both plain and aggregated features), and
// renders the response. TTLs are applied at `now_us`, and aggregated
// features are computed at `now_us` (ReadAggregatedFeatures: found when the
// entity has an event in the largest window, its event time the newest one;
// a count is 0, not null, when nothing is found, as offline).
// On-demand features are computed (EvaluateOnDemandRow in on_demand.h) from
// the request fields and the features their expressions read, which are
// read too when the request does not ask for them; their status is PRESENT
// or NULL_VALUE, their event time the epoch. Request fields that are not
// join keys are not echoed as entity columns (as Feast).
// Errors: NotFound for an unknown service, view or feature (did-you-mean);
// InvalidArgument for a missing join key (naming it and the view) or a key
// value of the wrong type (a string for an int64 key, a fraction), a
// missing request field or a value not of its type (naming it and the
// on-demand view), EvaluateOnDemandRow's errors; the store's errors.
StatusOr<std::string> GetOnlineFeaturesJson(const FeatureDefinitions& definitions,
                                            OnlineStore& store,
                                            const OnlineFeaturesRequest& request,
                                            int64_t now_us);

}  // namespace keel::features

#endif  // KEEL_FEATURES_ONLINE_FEATURES_H_
