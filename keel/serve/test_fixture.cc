#include "keel/serve/test_fixture.h"

#include <cstdio>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "keel/base/time.h"
#include "keel/learn/model_store.h"
#include "keel/learn/train.h"
#include "keel/registry/metadata_store.h"
#include "keel/storage/local_store.h"
#include "keel/table/csv_reader.h"

namespace keel::serve::testing {

namespace {

constexpr char kPrep[] = R"yaml(
remainder: drop
steps:
  - step: impute
    columns: [amount]
    strategy: median
    add_indicator: true
  - step: scale
    columns: [amount]
  - step: one_hot
    columns: [merchant]
    handle_unknown: bucket
  - step: datetime
    columns: [event_time]
    features: [hour, dow]
  - step: scale
    name: scale_items
    columns: [n_items]
)yaml";

// The same inputs through a sparse text step: merchant hashed into 2^18
// slots (output: sparse), so that only the sparse path is reasonable.
constexpr char kSparsePrep[] = R"yaml(
remainder: drop
steps:
  - step: impute
    columns: [amount]
    strategy: median
  - step: hashing_vectorizer
    columns: [merchant]
    n_features: 262144
    output: sparse
  - step: datetime
    columns: [event_time]
    features: [hour, dow]
  - step: scale
    name: scale_items
    columns: [n_items]
)yaml";

Table ReadOrDie(const std::string& csv, const std::map<std::string, DataType>& types) {
  CsvReadOptions options;
  options.schema_override = types;
  StatusOr<Table> table = ReadCsvFromString(csv, options);
  if (!table.ok()) {
    ADD_FAILURE() << table.status();
    std::abort();
  }
  return *std::move(table);
}

}  // namespace

std::string TransactionsCsv(int rows, int seed) {
  std::mt19937_64 rng(static_cast<uint64_t>(seed));
  std::uniform_real_distribution<double> unit(0, 1);
  const char* merchants[] = {"grocery", "travel", "online", "fuel", "pharmacy"};
  std::string csv = "amount,merchant,event_time,n_items,is_fraud\n";
  const TimestampMicros start = 1700000000LL * 1000000;
  for (int i = 0; i < rows; ++i) {
    const int m = static_cast<int>(unit(rng) * 5);
    const double amount = std::round(unit(rng) * 50000) / 100;
    const TimestampMicros t = start + static_cast<int64_t>(unit(rng) * 30 * 86400) * 1000000;
    const int items = 1 + static_cast<int>(unit(rng) * 9);
    const int hour = static_cast<int>((t / 3600000000LL) % 24);
    const double risk = amount / 500 + (m == 2 ? 0.6 : 0) + (hour < 5 ? 0.5 : 0) - items * 0.03;
    const int label = unit(rng) < risk * 0.6 ? 1 : 0;
    absl::StrAppend(&csv, i % 17 == 3 ? "" : absl::StrFormat("%.2f", amount), ",", merchants[m],
                    ",", FormatRfc3339(t), ",", items, ",", label, "\n");
  }
  return csv;
}

Table Transactions(int rows, int seed) {
  return ReadOrDie(TransactionsCsv(rows, seed), {{"amount", DataType::kFloat64},
                                                 {"merchant", DataType::kString},
                                                 {"event_time", DataType::kTimestamp},
                                                 {"n_items", DataType::kInt64},
                                                 {"is_fraud", DataType::kInt64}});
}

ServeFixture::ServeFixture() {
  auto store = LocalStore::Open(dir_.path() + "/lake");
  auto registry = OpenMetadataStore("sqlite://" + dir_.path() + "/keel.db", dir_.path());
  if (!store.ok() || !registry.ok()) std::abort();
  lake_ = std::make_unique<Lake>(*std::move(store), *std::move(registry), dir_.path() + "/tmp");
}

namespace {

int64_t Store(Lake& lake, const std::string& model, const Table& table, learn::TrainSpec spec) {
  spec.keel_version = "test";
  StatusOr<learn::TrainOutcome> outcome = learn::Train(table, spec);
  if (!outcome.ok()) {
    ADD_FAILURE() << outcome.status();
    std::abort();
  }
  ModelVersionRecord lineage;
  lineage.model = model;
  StatusOr<ModelVersionRecord> stored = learn::StoreModelVersion(lake, outcome->bundle, lineage);
  if (!stored.ok()) {
    ADD_FAILURE() << stored.status();
    std::abort();
  }
  return stored->version;
}

}  // namespace

int64_t ServeFixture::TrainAndStore(const std::string& model, const std::string& learner, int seed,
                                    bool sparse) {
  learn::TrainSpec spec;
  spec.learner = learner;
  spec.target = "is_fraud";
  spec.seed = static_cast<uint64_t>(seed);
  if (learner == "gbdt") spec.params = {"n_estimators=20", "max_depth=3"};
  const char* text = sparse ? kSparsePrep : kPrep;
  StatusOr<transform::PipelineSpec> prep = transform::PipelineSpec::Parse(text, "prep.yaml");
  if (!prep.ok()) {
    ADD_FAILURE() << prep.status();
    std::abort();
  }
  spec.transform = *prep;
  spec.transform_text = text;
  return Store(*lake_, model, Transactions(300, seed), spec);
}

int64_t ServeFixture::TrainNumericAndStore(const std::string& model) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  std::string csv = "x0,x1,x2,y\n";
  for (int i = 0; i < 200; ++i) {
    const double a = normal(rng), b = normal(rng), c = normal(rng);
    absl::StrAppend(&csv, a, ",", b, ",", c, ",", 2 * a - b + 0.5 * c + 0.1 * normal(rng), "\n");
  }
  learn::TrainSpec spec;
  spec.learner = "gbdt";
  spec.target = "y";
  spec.params = {"n_estimators=10", "max_depth=3"};
  return Store(*lake_, model, ReadOrDie(csv, {{"x0", DataType::kFloat64}}), spec);
}

learn::Bundle ServeFixture::LoadBundle(const std::string& ref) {
  StatusOr<learn::LoadedModel> loaded = learn::LoadModelVersion(*lake_, ref);
  if (!loaded.ok()) std::abort();
  return std::move(loaded->bundle);
}

}  // namespace keel::serve::testing
