#include "keel/features/testing/windowed_consistency.h"

#include <algorithm>
#include <bit>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keel/base/time.h"
#include "keel/features/aggregation_online.h"
#include "keel/features/historical.h"
#include "keel/features/materialize.h"
#include "keel/features/push.h"
#include "keel/table/column.h"

namespace keel::testing {
namespace {

using features::FeatureDefinitions;
using features::FeatureValue;
using features::FeatureView;
using features::OnlineRow;
using features::OnlineStore;

constexpr int64_t kHour = 3'600'000'000LL;
constexpr int64_t kBase = 4'102'444'800'000'000LL;  // 2100-01-01T00:00:00Z
constexpr int kEvents = 200;
constexpr int kCustomers = 5;
constexpr int64_t kUnknownCustomer = 99;

// A view with a plain feature and aggregations of a float64, a string and an
// int64 column (the string also a plain feature), windows 1h to 7d.
constexpr char kDefinitions[] = R"(entities:
  - {name: customer, join_keys: [{name: customer_id, type: int64}]}
sources:
  - {name: txns, dataset: t, timestamp_field: event_time, created_timestamp_field: created}
feature_views:
  - name: txn
    entities: [customer]
    source: txns
    ttl: 1d
    features: [{name: merchant, type: string}]
    aggregations:
      - {column: amount, type: float64, function: sum, windows: [1h, 1d, 7d]}
      - {column: amount, type: float64, function: mean, windows: [1d, 7d]}
      - {column: amount, type: float64, function: count, windows: [1h, 7d]}
      - {column: amount, type: float64, function: min, windows: [1d]}
      - {column: amount, type: float64, function: max, windows: [7d]}
      - {column: amount, type: float64, function: last, windows: [1h]}
      - {column: merchant, type: string, function: last, windows: [7d]}
      - {column: merchant, type: string, function: min, windows: [1d]}
      - {column: merchant, type: string, function: count, windows: [1d]}
      - {column: qty, type: int64, function: sum, windows: [1d, 7d]}
      - {column: qty, type: int64, function: mean, windows: [1h]}
      - {column: qty, type: int64, function: max, windows: [7d]}
      - {column: qty, type: int64, function: last, windows: [1d]}
services:
  - {name: all, features: ["txn:*"]}
)";

// The events in arrival order: over 20 days on an hourly grid (windows
// start and end exactly on events), some at the time of the previous event
// of the same customer, created times that repeat or are null, nulls in
// every value column, and about one in six events arriving late.
Table MakeEvents(uint32_t seed) {
  std::mt19937 rng(seed);
  struct Event {
    int64_t customer, time;
    std::optional<int64_t> created, qty;
    std::optional<double> amount;
    std::optional<std::string> merchant;
  };
  const char* merchants[] = {"acme", "bolt", "corner", "dock"};
  std::vector<Event> events;
  for (int i = 0; i < kEvents; ++i) {
    Event e;
    const bool tie = i > 0 && rng() % 8 == 0;
    e.customer = tie ? events.back().customer : 1 + static_cast<int64_t>(rng() % kCustomers);
    e.time = tie ? events.back().time : kBase + static_cast<int64_t>(rng() % 480) * kHour;
    if (rng() % 4 != 0) e.created = kBase + static_cast<int64_t>(rng() % 3);
    if (rng() % 8 != 0) e.amount = static_cast<double>(rng() % 50000) / 100.0 + 0.01;
    if (rng() % 10 != 0) e.merchant = merchants[rng() % 4];
    if (rng() % 10 != 0) e.qty = static_cast<int64_t>(rng() % 200) - 50;
    events.push_back(std::move(e));
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.time < b.time; });
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    if (rng() % 7 == 0) std::swap(events[i], events[i + 1]);  // a little late
    if (rng() % 40 == 0) {                                    // much later
      const size_t to = std::min(events.size() - 1, i + 1 + rng() % 30);
      std::rotate(events.begin() + static_cast<int64_t>(i),
                  events.begin() + static_cast<int64_t>(i) + 1,
                  events.begin() + static_cast<int64_t>(to) + 1);
    }
  }
  ColumnBuilder customer(DataType::kInt64), time(DataType::kTimestamp),
      created(DataType::kTimestamp), amount(DataType::kFloat64), merchant(DataType::kString),
      qty(DataType::kInt64);
  for (const Event& e : events) {
    customer.AppendInt64(e.customer);
    time.AppendTimestamp(e.time);
    e.created ? created.AppendTimestamp(*e.created) : created.AppendNull();
    e.amount ? amount.AppendFloat64(*e.amount) : amount.AppendNull();
    e.merchant ? merchant.AppendString(*e.merchant) : merchant.AppendNull();
    e.qty ? qty.AppendInt64(*e.qty) : qty.AppendNull();
  }
  return *Table::Make({"customer_id", "event_time", "created", "amount", "merchant", "qty"},
                      {customer.Finish(), time.Finish(), created.Finish(), amount.Finish(),
                       merchant.Finish(), qty.Finish()});
}

bool Identical(const FeatureValue& a, const FeatureValue& b) {
  if (a.is_null || b.is_null) return a.is_null == b.is_null;
  if (a.type != b.type) return false;
  if (a.type == DataType::kFloat64) {
    return std::bit_cast<uint64_t>(a.float_value) == std::bit_cast<uint64_t>(b.float_value);
  }
  return a.int_value == b.int_value && a.string_value == b.string_value;
}

std::string Show(const FeatureValue& v) {
  if (v.is_null) return "null";
  if (v.type == DataType::kFloat64)
    return absl::StrCat(v.float_value, " (bits ", std::bit_cast<uint64_t>(v.float_value), ")");
  if (v.type == DataType::kString) return absl::StrCat("'", v.string_value, "'");
  return absl::StrCat(v.int_value);
}

class Checker {
 public:
  Checker(const FeatureDefinitions& definitions, WindowedConsistencyReport* report)
      : definitions_(definitions), view_(*definitions.FindView("txn")), report_(report) {
    for (const features::Aggregation& a : view_.aggregations) names_.push_back(a.name);
    for (int64_t c = 1; c <= kCustomers; ++c) customers_.push_back(c);
    customers_.push_back(kUnknownCustomer);
    for (int64_t c : customers_) keys_.push_back(absl::StrCat("customer_id=", c));
  }

  // Compares every customer's aggregates read from `store` at `t` with the
  // offline ones over `source`. `newest`: each customer's newest event in
  // the store (to skip what is not promised); empty: all are promised.
  Status CompareAt(OnlineStore& store, const Table& source, int64_t t,
                   const std::map<int64_t, int64_t>& newest, const std::string& step) {
    ColumnBuilder ids(DataType::kInt64), at(DataType::kTimestamp);
    for (int64_t c : customers_) {
      ids.AppendInt64(c);
      at.AppendTimestamp(t);
    }
    KEEL_ASSIGN_OR_RETURN(Table entities,
                          Table::Make({"customer_id", "ts"}, {ids.Finish(), at.Finish()}));
    StatusOr<Table> offline = features::GetHistoricalFeatures(
        definitions_, "all", entities, "ts", [&](const features::Source&) { return source; });
    if (!offline.ok()) return Annotate(offline.status(), absl::StrCat(step, ": offline"));
    std::vector<OnlineRow> online;
    KEEL_RETURN_IF_ERROR(Annotate(
        features::ReadAggregatedFeatures(store, definitions_, view_, keys_, names_, t, &online),
        absl::StrCat(step, ": online")));
    const int64_t largest = view_.MaxWindowUs();
    for (size_t f = 0; f < names_.size(); ++f) {
      KEEL_ASSIGN_OR_RETURN(Column column,
                            offline->ColumnByName(features::FeatureColumnName("txn", names_[f])));
      const int64_t window = view_.aggregations[f].window_us;
      for (size_t e = 0; e < customers_.size(); ++e) {
        const auto n = newest.find(customers_[e]);
        if (n != newest.end() && t < n->second - (largest - window)) {
          ++report_->not_promised;
          continue;
        }
        const FeatureValue want = features::ValueAt(column, static_cast<int64_t>(e));
        const FeatureValue& got = online[e].values[f];
        if (!Identical(want, got)) {
          return absl::InternalError(absl::StrCat(step, ": customer ", customers_[e], " at ",
                                                  FormatRfc3339(t), ", ", names_[f], ": online ",
                                                  Show(got), ", offline ", Show(want)));
        }
        ++report_->compared;
      }
    }
    return absl::OkStatus();
  }

 private:
  const FeatureDefinitions& definitions_;
  const FeatureView& view_;
  WindowedConsistencyReport* report_;
  std::vector<std::string> names_;
  std::vector<int64_t> customers_;
  std::vector<std::string> keys_;
};

}  // namespace

StatusOr<WindowedConsistencyReport> CheckWindowedConsistency(OnlineStore& pushed,
                                                             OnlineStore& materialized,
                                                             uint32_t seed) {
  KEEL_ASSIGN_OR_RETURN(FeatureDefinitions definitions,
                        FeatureDefinitions::Parse(kDefinitions, "windowed.yaml"));
  WindowedConsistencyReport report;
  Checker checker(definitions, &report);
  const Table events = MakeEvents(seed);
  const std::span<const int64_t> times = events.column(1).TimestampValues();
  const std::span<const int64_t> customers = events.column(0).Int64Values();

  // Pushes of one row, and now and then of three, in arrival order.
  std::mt19937 rng(seed + 1);
  std::map<int64_t, int64_t> newest;  // customer -> newest event time pushed
  for (int64_t done = 0; done < events.num_rows();) {
    const int64_t rows = std::min<int64_t>(rng() % 6 == 0 ? 3 : 1, events.num_rows() - done);
    const features::PushRequest push{.feature_view = "txn", .rows = events.Slice(done, rows)};
    StatusOr<int64_t> written = features::PushToOnlineStore(definitions, push, pushed);
    if (!written.ok()) return Annotate(written.status(), absl::StrCat("push ", report.pushes));
    for (int64_t r = done; r < done + rows; ++r) {
      int64_t& n = newest[customers[r]];
      n = std::max(n, times[r]);
    }
    done += rows;
    ++report.pushes;
    KEEL_RETURN_IF_ERROR(checker.CompareAt(pushed, events.Slice(0, done), times[done - 1], newest,
                                           absl::StrCat("after push ", report.pushes)));
  }
  report.events = events.num_rows();

  // Materialisation at a few ends (on the grid, between points, the last).
  const int64_t last = *std::max_element(times.begin(), times.end());
  for (int64_t end : {kBase + 100 * kHour, kBase + 250 * kHour + kHour / 2, last}) {
    StatusOr<features::MaterializeStats> stats = features::MaterializeView(
        definitions, *definitions.FindView("txn"), events, end - 24 * kHour, end, materialized);
    if (!stats.ok()) return Annotate(stats.status(), "materialize");
    ++report.materializations;
    KEEL_RETURN_IF_ERROR(checker.CompareAt(materialized, events, end, {},
                                           absl::StrCat("materialized at ", FormatRfc3339(end))));
  }
  return report;
}

}  // namespace keel::testing
