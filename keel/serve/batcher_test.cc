// Dynamic batching: concurrent requests are scored together and each gets
// exactly the numbers it would get alone; a bad request does not spoil the
// others; a full batch goes at once, a lone request after max_wait_us.
#include "keel/serve/batcher.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/serve/model_manager.h"
#include "keel/serve/served_model.h"
#include "keel/serve/test_fixture.h"

namespace keel::serve {
namespace {

using ::testing::HasSubstr;

class BatcherTest : public ::testing::Test {
 protected:
  BatcherTest() : manager_(&fixture_.lake()) {
    fixture_.TrainAndStore("fraud");
    RouteOptions route;
    route.batching = {.max_rows = 8, .max_wait_us = 20000};
    EXPECT_TRUE(manager_.Add("fraud", route).ok());
    model_ = *manager_.Get("fraud", "");
  }

  // One request of `rows` rows taken from the fixture's transactions at `offset`.
  InputBatch Request(const Table& table, int64_t offset, int64_t rows) {
    StatusOr<InputBatch> batch = model_->BatchFromTable(table.Slice(offset, rows));
    EXPECT_TRUE(batch.ok()) << batch.status();
    return *std::move(batch);
  }

  testing::ServeFixture fixture_;
  ModelManager manager_;
  std::shared_ptr<const ServedModel> model_;
};

TEST_F(BatcherTest, ConcurrentRequestsGetTheirOwnNumbers) {
  ASSERT_NE(model_->batcher(), nullptr);
  const Table table = testing::Transactions(64, 9);
  StatusOr<Table> alone = model_->Score(Request(table, 0, 64));
  ASSERT_TRUE(alone.ok()) << alone.status();
  // 16 threads, each two rows: batches of up to 8 rows form.
  std::vector<StatusOr<Table>> results(16, absl::UnknownError(""));
  std::vector<InputBatch> requests;
  for (int t = 0; t < 16; ++t) requests.push_back(Request(table, 4 * t, 2));
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] { results[t] = model_->Infer(requests[t]); });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 16; ++t) {
    ASSERT_TRUE(results[t].ok()) << results[t].status();
    ASSERT_EQ(results[t]->num_rows(), 2);
    for (int64_t r = 0; r < 2; ++r) {
      EXPECT_EQ(results[t]->column(1).Float64Values()[r], alone->column(1).Float64Values()[4 * t + r])
          << "thread " << t << " row " << r;
      EXPECT_EQ(results[t]->column(0).Int64Values()[r], alone->column(0).Int64Values()[4 * t + r]);
    }
  }
  EXPECT_GT(model_->batcher()->batches(), 0);
  EXPECT_GT(model_->batcher()->requests(), model_->batcher()->batches());  // > 1 per batch
}

TEST_F(BatcherTest, ABadRequestFailsAloneAndNamesItsOwnRow) {
  const Table table = testing::Transactions(16, 3);
  InputBatch good = Request(table, 0, 3);
  InputBatch bad = Request(table, 3, 3);
  // A string where the model needs a number, in the bad request's row 1.
  bad.value(model_->InputIndex("n_items"), 1) = Value::String("many");
  StatusOr<Table> good_result = absl::UnknownError(""), bad_result = absl::UnknownError("");
  std::thread a([&] { good_result = model_->Infer(good); });
  std::thread b([&] { bad_result = model_->Infer(bad); });
  a.join();
  b.join();
  EXPECT_TRUE(good_result.ok()) << good_result.status();
  ASSERT_FALSE(bad_result.ok());
  EXPECT_THAT(bad_result.status().message(), HasSubstr("row 1"));
}

TEST_F(BatcherTest, ALoneRequestWaitsAtMostMaxWait) {
  const Table table = testing::Transactions(8, 4);
  InputBatch one = Request(table, 0, 1);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(model_->Infer(one).ok());
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(ms, 15);    // it waited for company (max_wait_us = 20 ms)
  EXPECT_LT(ms, 2000);  // and then went alone
}

TEST_F(BatcherTest, AFullRequestDoesNotWait) {
  ModelManager patient(&fixture_.lake());
  RouteOptions route;
  route.batching = {.max_rows = 8, .max_wait_us = 30'000'000};  // 30 s
  ASSERT_TRUE(patient.Add("fraud", route).ok());
  std::shared_ptr<const ServedModel> model = *patient.Get("fraud", "");
  const Table table = testing::Transactions(8, 4);
  StatusOr<InputBatch> full = model->BatchFromTable(table);
  ASSERT_TRUE(full.ok());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(model->Infer(*full).ok());
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10);
}

}  // namespace
}  // namespace keel::serve
