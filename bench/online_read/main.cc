// Times single-entity online reads (one key, 10 features) on generated data:
// N entities of one feature view "stats" (features f0..f9, float64 at even
// and int64 at odd positions), written once.
//
//   bench_online_read [--entities N] [--iterations R] [--embedded-rows M]
//
// redis: starts a throwaway redis-server (RedisTestServer), writes the N
// entities through RedisOnlineStore::Write (batches of 10k), then reads R
// random entities one at a time from one client thread, alternating blocks
// of 1000 reads between (a) RedisOnlineStore::Read and (b) a bare hiredis
// `HGETALL key` on a connection set up the same way (same keys, same
// order). Prints one line per side, "online_read redis <impl> N R p50_us
// p99_us mean_us", and "ratio keel/bare p50 X p99 Y mean Z" (target <= 1.3).
//
// embedded (when keel/features/embedded_online_store.h exists): M rows
// (M distinct entities) written in batches of 10k as materialisation does,
// printed as rows/s; then R random single-entity reads in process, printed
// like the redis lines (target p99 <= 50 us).
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "keel/features/redis_online_store.h"
#include "keel/features/testing/redis_test_server.h"
#include "keel/table/table.h"

#include "keel/base/testing/temp_dir.h"
#include "keel/features/embedded_online_store.h"
#include "keel/features/materialize.h"

namespace {

using keel::ColumnBuilder;
using keel::DataType;
using keel::Table;
using keel::features::OnlineRow;
using keel::features::OnlineStore;
using keel::features::OnlineView;

using Clock = std::chrono::steady_clock;
constexpr int kFeatures = 10;
constexpr int64_t kBatch = 10'000;
constexpr int64_t kBase = 1'700'000'000'000'000;  // µs

[[noreturn]] void Fail(const std::string& what, const keel::Status& status) {
  std::fprintf(stderr, "bench_online_read: %s: %s\n", what.c_str(),
               std::string(status.message()).c_str());
  std::exit(1);
}

OnlineView View() {
  OnlineView view{.name = "stats", .join_keys = {{"user", DataType::kInt64}}};
  for (int f = 0; f < kFeatures; ++f) {
    view.features.push_back(
        {"f" + std::to_string(f), f % 2 == 0 ? DataType::kFloat64 : DataType::kInt64});
  }
  return view;
}

std::vector<std::string> FeatureNames(const OnlineView& view) {
  std::vector<std::string> names;
  for (const auto& f : view.features) names.push_back(f.name);
  return names;
}

std::string EntityKey(int64_t i) { return "user=" + std::to_string(i); }

// Rows [begin, end) of the generated feature table: entity i, event time
// kBase + i, f<j> = i * (j + 1) (float64: plus 0.5).
Table Rows(const OnlineView& view, int64_t begin, int64_t end) {
  std::vector<std::string> names;
  std::vector<keel::Column> columns;
  for (int f = 0; f < kFeatures; ++f) {
    ColumnBuilder b(view.features[f].type);
    b.Reserve(end - begin);
    for (int64_t i = begin; i < end; ++i) {
      if (view.features[f].type == DataType::kFloat64) {
        b.AppendFloat64(static_cast<double>(i) * (f + 1) + 0.5);
      } else {
        b.AppendInt64(i * (f + 1));
      }
    }
    names.push_back(view.features[f].name);
    columns.push_back(b.Finish());
  }
  return *Table::Make(names, std::move(columns));
}

// Writes entities [0, n) in batches of kBatch; returns rows/s.
double WriteAll(OnlineStore& store, const OnlineView& view, int64_t n) {
  const auto start = Clock::now();
  for (int64_t begin = 0; begin < n; begin += kBatch) {
    const int64_t end = std::min(n, begin + kBatch);
    const Table values = Rows(view, begin, end);
    std::vector<std::string> keys;
    std::vector<int64_t> times;
    for (int64_t i = begin; i < end; ++i) {
      keys.push_back(EntityKey(i));
      times.push_back(kBase + i);
    }
    const keel::StatusOr<int64_t> written =
        store.Write(view, {.keys = keys, .event_times = times, .values = &values});
    if (!written.ok()) Fail(std::string(store.kind()) + " write", written.status());
  }
  return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - start).count();
}

struct Stats {
  double p50_us = 0, p99_us = 0, mean_us = 0;
};

Stats Summarize(std::vector<double> ns) {
  std::sort(ns.begin(), ns.end());
  double sum = 0;
  for (double v : ns) sum += v;
  auto at = [&](double q) {
    return ns[std::min(ns.size() - 1, static_cast<size_t>(q * ns.size()))];
  };
  return {at(0.50) / 1e3, at(0.99) / 1e3, sum / ns.size() / 1e3};
}

void Print(const char* store, const char* impl, int64_t n, int64_t r, const Stats& s) {
  std::printf("online_read %-8s %-5s %lld %lld %.1f %.1f %.1f\n", store, impl,
              static_cast<long long>(n), static_cast<long long>(r), s.p50_us, s.p99_us, s.mean_us);
}

// Times one call of `read(i)` per entry i of `sequence` into `ns`.
void Time(const std::vector<int64_t>& sequence, size_t begin, size_t end,
          const std::function<void(int64_t)>& read, std::vector<double>* ns) {
  for (size_t k = begin; k < end; ++k) {
    const auto t0 = Clock::now();
    read(sequence[k]);
    ns->push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
}

// A check that the reads saw the written values (entity i, f1 = 2i).
void Check(const OnlineRow& row, int64_t i) {
  if (!row.found || row.values[1].int_value != 2 * i) {
    std::fprintf(stderr, "bench_online_read: entity %lld read back wrong\n",
                 static_cast<long long>(i));
    std::exit(1);
  }
}

// `r` entities in [0, n), the same ones for the same arguments.
std::vector<int64_t> Sequence(int64_t r, int64_t n) {
  std::mt19937_64 rng(42);
  std::vector<int64_t> sequence(static_cast<size_t>(r));
  for (int64_t& i : sequence) i = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
  return sequence;
}

void BenchRedis(int64_t n, const std::vector<int64_t>& sequence) {
  auto server = keel::testing::RedisTestServer::Start();
  if (!server.ok()) Fail("redis-server", server.status());
  keel::features::RedisOptions options;
  options.url = (*server)->url();
  options.key_prefix = "bench";
  auto store = keel::features::RedisOnlineStore::Connect(options);
  if (!store.ok()) Fail("connect", store.status());
  const OnlineView view = View();
  const double rows_per_s = WriteAll(**store, view, n);
  std::printf("online_write redis keel %lld rows %.0f rows/s\n", static_cast<long long>(n),
              rows_per_s);

  // The bare client: a connection set up as RedisOnlineStore sets up its own.
  auto tv = [](int ms) { return timeval{.tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000}; };
  redisContext* bare =
      redisConnectWithTimeout("127.0.0.1", (*server)->port(), tv(options.connect_timeout_ms));
  if (bare == nullptr || bare->err != 0) {
    std::fprintf(stderr, "bench_online_read: bare hiredis connect failed\n");
    std::exit(1);
  }
  redisSetTimeout(bare, tv(options.command_timeout_ms));

  const std::vector<std::string> features = FeatureNames(view);
  std::vector<std::string> keys;
  for (int64_t i = 0; i < n; ++i) keys.push_back(EntityKey(i));
  std::vector<OnlineRow> out;
  auto keel_read = [&](int64_t i) {
    const keel::Status s = (*store)->Read(view, std::span(&keys[i], 1), features, kBase, &out);
    if (!s.ok()) Fail("read", s);
  };
  std::string key;
  int64_t fields = 0;
  auto bare_read = [&](int64_t i) {
    key = "bench:" + keys[i];
    const char* argv[] = {"HGETALL", key.data()};
    const size_t lengths[] = {7, key.size()};
    auto* reply = static_cast<redisReply*>(redisCommandArgv(bare, 2, argv, lengths));
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
      std::fprintf(stderr, "bench_online_read: bare HGETALL failed\n");
      std::exit(1);
    }
    fields += static_cast<int64_t>(reply->elements);
    freeReplyObject(reply);
  };
  // Warm-up, then alternating blocks so that noise hits both sides alike.
  std::vector<double> keel_ns, bare_ns, discard;
  const size_t warm = std::min<size_t>(sequence.size(), 2000);
  Time(sequence, 0, warm, keel_read, &discard);
  Time(sequence, 0, warm, bare_read, &discard);
  keel_ns.reserve(sequence.size());
  bare_ns.reserve(sequence.size());
  for (size_t begin = 0; begin < sequence.size(); begin += 1000) {
    const size_t end = std::min(sequence.size(), begin + 1000);
    Time(sequence, begin, end, keel_read, &keel_ns);
    Check(out[0], sequence[end - 1]);
    Time(sequence, begin, end, bare_read, &bare_ns);
  }
  redisFree(bare);
  const Stats k = Summarize(keel_ns), b = Summarize(bare_ns);
  const int64_t r = static_cast<int64_t>(sequence.size());
  Print("redis", "keel", n, r, k);
  Print("redis", "bare", n, r, b);
  std::printf("ratio keel/bare p50 %.2f p99 %.2f mean %.2f (target <= 1.3)\n", k.p50_us / b.p50_us,
              k.p99_us / b.p99_us, k.mean_us / b.mean_us);
}

// The embedded store's slot: materialisation-style writes of `m` rows, then
// single-entity reads in process.
void BenchEmbedded(int64_t m, const std::vector<int64_t>& sequence) {
  keel::testing::TempDir dir;
  auto store = keel::features::EmbeddedOnlineStore::Open(dir.path() + "/online");
  if (!store.ok()) Fail("embedded open", store.status());
  const OnlineView view = View();
  const double rows_per_s = WriteAll(**store, view, m);
  std::printf("online_write embedded keel %lld rows %.0f rows/s\n", static_cast<long long>(m),
              rows_per_s);
  if (const keel::Status flushed = (*store)->Flush(); !flushed.ok()) Fail("flush", flushed);
  const std::vector<std::string> features = FeatureNames(view);
  std::vector<OnlineRow> out;
  std::string key;
  auto read = [&](int64_t i) {
    key = EntityKey(i);
    const keel::Status s = (*store)->Read(view, std::span(&key, 1), features, kBase, &out);
    if (!s.ok()) Fail("embedded read", s);
  };
  std::vector<double> ns, discard;
  Time(sequence, 0, std::min<size_t>(sequence.size(), 2000), read, &discard);
  ns.reserve(sequence.size());
  for (size_t begin = 0; begin < sequence.size(); begin += 1000) {
    const size_t end = std::min(sequence.size(), begin + 1000);
    Time(sequence, begin, end, read, &ns);
    Check(out[0], sequence[end - 1]);
  }
  const Stats s = Summarize(ns);
  Print("embedded", "keel", m, static_cast<int64_t>(sequence.size()), s);
  std::printf("target embedded p99 <= 50 us: %s\n", s.p99_us <= 50 ? "met" : "missed");
}

// MaterializeView of `rows` source rows (rows / 4 users, 10 features, times
// over 30 days) into a fresh embedded store: source rows per second, the
// issue's unit (target >= 1M rows/s).
void BenchMaterialize(int64_t rows) {
  const std::string yaml = R"(entities:
  - {name: user, join_keys: [{name: user_id, type: int64}]}
sources:
  - {name: src, dataset: d, timestamp_field: at}
feature_views:
  - name: stats
    entities: [user]
    source: src
    features:
      - {name: f0, type: float64}
      - {name: f1, type: float64}
      - {name: f2, type: float64}
      - {name: f3, type: float64}
      - {name: f4, type: float64}
      - {name: f5, type: int64}
      - {name: f6, type: int64}
      - {name: f7, type: int64}
      - {name: f8, type: int64}
      - {name: f9, type: int64}
)";
  const auto defs = keel::features::FeatureDefinitions::Parse(yaml, "bench.yaml");
  if (!defs.ok()) Fail("definitions", defs.status());
  std::mt19937_64 rng(7);
  const int64_t users = std::max<int64_t>(1, rows / 4);
  std::vector<std::string> names = {"user_id", "at"};
  std::vector<keel::Column> columns;
  ColumnBuilder user(DataType::kInt64), at(DataType::kTimestamp);
  for (int64_t r = 0; r < rows; ++r) {
    user.AppendInt64(static_cast<int64_t>(rng() % users));
    at.AppendTimestamp(kBase - static_cast<int64_t>(rng() % (30LL * 86'400'000'000LL)));
  }
  columns.push_back(user.Finish());
  columns.push_back(at.Finish());
  for (int f = 0; f < 10; ++f) {
    ColumnBuilder b(f < 5 ? DataType::kFloat64 : DataType::kInt64);
    for (int64_t r = 0; r < rows; ++r) {
      if (f < 5) {
        b.AppendFloat64(static_cast<double>(rng() % 100000) / 7.0);
      } else {
        b.AppendInt64(static_cast<int64_t>(rng() % 1000));
      }
    }
    names.push_back("f" + std::to_string(f));
    columns.push_back(b.Finish());
  }
  const auto table = Table::Make(names, std::move(columns));
  if (!table.ok()) Fail("table", table.status());
  keel::testing::TempDir dir;
  auto store = keel::features::EmbeddedOnlineStore::Open(dir.path() + "/online");
  if (!store.ok()) Fail("embedded open", store.status());
  const auto start = Clock::now();
  const auto stats = keel::features::MaterializeView(*defs, defs->views[0], *table, 0, kBase,
                                                     **store);
  if (!stats.ok()) Fail("materialize", stats.status());
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("materialize embedded keel %lld source rows %lld entities %.3f s %.0f rows/s\n",
              static_cast<long long>(rows), static_cast<long long>(stats->entities), seconds,
              static_cast<double>(rows) / seconds);
  std::printf("target materialisation >= 1M rows/s: %s\n",
              static_cast<double>(rows) / seconds >= 1e6 ? "met" : "missed");
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 100'000, r = 100'000, m = 1'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--entities")) n = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--iterations")) r = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--embedded-rows")) m = std::atoll(argv[i + 1]);
  }
  n = std::max<int64_t>(n, 1);
  m = std::max<int64_t>(m, 1);
  r = std::max<int64_t>(r, 1);
  BenchRedis(n, Sequence(r, n));
  BenchEmbedded(m, Sequence(r, m));
  BenchMaterialize(m);
  return 0;
}
