// Realistic card-transaction data with a learnable fraud label, generated
// from a seed at any size: the example data of the quickstart, the tests and
// the benchmarks. Files (CSV with a header, RFC 3339 UTC timestamps):
//
//   transactions.csv   transaction_id, event_time, user_id, merchant_id,
//                      amount, category, country, device, is_fraud
//                      (time-ordered; a few empty cells in amount, country
//                      and device)
//   users.csv          user_id, signup_time, home_country, age, segment
//   merchants.csv      merchant_id, name, category, country, created_time
//   user_snapshots.csv user_id, snapshot_time, credit_limit, risk_tier,
//                      num_cards   (weekly entity snapshots, for
//                      point-in-time joins in the feature store)
//
// Fraud is more likely abroad, at night, for amounts far above the user's
// usual spend, in risky categories and for new accounts, so a model can learn
// it (a logistic model reaches an AUC well above 0.8).
#ifndef KEEL_DATAGEN_FRAUD_DATA_H_
#define KEEL_DATAGEN_FRAUD_DATA_H_

#include <cstdint>
#include <string>

#include "keel/base/progress.h"
#include "keel/base/status.h"
#include "keel/base/time.h"

namespace keel::datagen {

struct FraudDataOptions {
  int64_t rows = 100'000;      // transactions
  uint64_t seed = 42;
  int64_t users = 0;           // 0: rows / 50, at least 100
  int64_t merchants = 0;       // 0: users / 10, at least 50
  TimestampMicros start = 1'704'067'200'000'000;  // 2024-01-01T00:00:00Z
  int days = 90;               // span of event times
  int threads = 0;             // 0: one per core
};

struct FraudDataSummary {
  int64_t transactions = 0;
  int64_t frauds = 0;
  int64_t users = 0;
  int64_t merchants = 0;
  int64_t snapshots = 0;
  int64_t transaction_bytes = 0;  // size of transactions.csv
};

// Writes the four files into `dir` (created if missing). Identical options
// give byte-identical files, whatever the thread count. Each file is written
// atomically (temp file, rename). `progress` (may be null) counts rows.
// Errors: InvalidArgument for bad options; I/O errors name the path.
StatusOr<FraudDataSummary> WriteFraudData(const std::string& dir, const FraudDataOptions& options,
                                          Progress* progress);

// Rows needed for transactions.csv of about `bytes` bytes.
int64_t RowsForBytes(int64_t bytes);

}  // namespace keel::datagen

#endif  // KEEL_DATAGEN_FRAUD_DATA_H_
