// Test-only: a lake in a temp folder with small models trained on
// generated transactions (a float with gaps, a category, a timestamp), the
// way `keel train` would store them.
#ifndef KEEL_SERVE_TEST_FIXTURE_H_
#define KEEL_SERVE_TEST_FIXTURE_H_

#include <memory>
#include <string>

#include "keel/base/testing/temp_dir.h"
#include "keel/lake/lake.h"
#include "keel/learn/bundle.h"
#include "keel/table/table.h"

namespace keel::serve::testing {

// 300 rows: amount (float64, every 17th missing), merchant (string, 5
// values), event_time (timestamp), n_items (int64), is_fraud (int64 0/1).
Table Transactions(int rows = 300, int seed = 1);

// The transaction columns as CSV text (the same rows as Transactions).
std::string TransactionsCsv(int rows = 300, int seed = 1);

class ServeFixture {
 public:
  ServeFixture();

  Lake& lake() { return *lake_; }
  // Trains `learner` (gbdt, logistic...) on Transactions() through a
  // pipeline (impute+scale amount, one-hot merchant with an unknown bucket,
  // hour and day of week of event_time) and stores it as a new version of
  // `model`. Returns the version. `sparse`: merchant goes through a
  // hashing_vectorizer of 2^18 slots with output: sparse instead.
  int64_t TrainAndStore(const std::string& model, const std::string& learner = "gbdt", int seed = 1,
                        bool sparse = false);
  // A model without a pipeline: numeric inputs x0, x1, x2 only.
  int64_t TrainNumericAndStore(const std::string& model);
  learn::Bundle LoadBundle(const std::string& ref);

 private:
  keel::testing::TempDir dir_;
  std::unique_ptr<Lake> lake_;
};

}  // namespace keel::serve::testing

#endif  // KEEL_SERVE_TEST_FIXTURE_H_
