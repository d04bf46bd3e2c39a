#include "keel/datagen/fraud_data.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keel/base/files.h"
#include "keel/base/thread_pool.h"
#include "keel/datagen/random.h"

namespace keel::datagen {
namespace {

constexpr int64_t kBlockRows = 1 << 16;
constexpr int64_t kMicrosPerHour = 3600 * kMicrosPerSecond;

struct Category {
  const char* name;
  double median_amount;
  double weight;  // share of merchants
  bool risky;
};
constexpr std::array<Category, 10> kCategories = {{
    {"grocery", 35, 22, false},         {"restaurants", 45, 16, false},
    {"fuel", 50, 10, false},            {"clothing", 80, 9, false},
    {"health", 60, 7, false},           {"entertainment", 30, 8, false},
    {"online_services", 15, 12, true},  {"electronics", 250, 7, true},
    {"travel", 400, 6, true},           {"jewelry", 600, 3, true},
}};
constexpr std::array<const char*, 10> kCountries = {"US", "GB", "DE", "FR", "ES",
                                                    "IT", "NL", "CA", "BR", "IN"};
constexpr std::array<double, 10> kCountryWeights = {30, 12, 11, 9, 7, 6, 5, 8, 6, 6};
constexpr std::array<const char*, 3> kDevices = {"mobile", "desktop", "pos"};
constexpr std::array<const char*, 3> kSegments = {"standard", "premium", "business"};
constexpr std::array<const char*, 3> kRiskTiers = {"low", "medium", "high"};

struct User {
  TimestampMicros signup = 0;
  int country = 0;
  int age = 0;  // 0: unknown (empty cell)
  int segment = 0;
  int device = 0;  // preferred
  double spend = 1;
};

struct Merchant {
  int category = 0;
  int country = 0;
  TimestampMicros created = 0;
};

// Everything the transaction blocks read; built once, then shared read-only.
struct World {
  FraudDataOptions options;
  std::vector<User> users;
  std::vector<double> user_activity;  // cumulative
  std::vector<Merchant> merchants;
  std::vector<std::vector<int32_t>> merchants_by_country;
};

void AppendCents(std::string* out, double amount) {
  const int64_t cents = std::llround(amount * 100);
  absl::StrAppend(out, cents / 100, ".");
  const int64_t rest = cents % 100;
  if (rest < 10) out->push_back('0');
  absl::StrAppend(out, rest);
}

World BuildWorld(const FraudDataOptions& options) {
  World world;
  world.options = options;
  Rng rng(options.seed, /*stream=*/1);
  const std::vector<double> country_cdf =
      Cumulative(std::vector<double>(kCountryWeights.begin(), kCountryWeights.end()));
  std::vector<double> category_weights;
  for (const Category& c : kCategories) category_weights.push_back(c.weight);
  const std::vector<double> category_cdf = Cumulative(category_weights);
  const int64_t window = options.days * kMicrosPerDay;

  std::vector<double> activity(options.users);
  world.users.resize(options.users);
  for (int64_t i = 0; i < options.users; ++i) {
    User& u = world.users[i];
    // One in ten accounts opens during the window: new accounts are riskier.
    u.signup = rng.Bernoulli(0.1)
                   ? options.start + static_cast<int64_t>(rng.Uniform() * window)
                   : options.start - static_cast<int64_t>(rng.Uniform() * 3 * 365 * kMicrosPerDay);
    u.signup -= u.signup % kMicrosPerSecond;
    u.country = static_cast<int>(rng.Pick(country_cdf));
    u.age = rng.Bernoulli(0.03) ? 0 : static_cast<int>(std::clamp(18 + rng.LogNormal(3.0, 0.45), 18.0, 90.0));
    const double s = rng.Uniform();
    u.segment = s < 0.75 ? 0 : (s < 0.95 ? 1 : 2);
    const double d = rng.Uniform();
    u.device = d < 0.6 ? 0 : (d < 0.85 ? 1 : 2);
    u.spend = rng.LogNormal(u.segment == 0 ? 0 : 0.4, 0.5);
    activity[i] = rng.LogNormal(0, 1);
  }
  world.user_activity = Cumulative(activity);

  world.merchants.resize(options.merchants);
  world.merchants_by_country.resize(kCountries.size());
  for (int64_t j = 0; j < options.merchants; ++j) {
    Merchant& m = world.merchants[j];
    m.category = static_cast<int>(rng.Pick(category_cdf));
    m.country = static_cast<int>(rng.Pick(country_cdf));
    m.created = options.start - static_cast<int64_t>((30 + rng.Uniform() * 5 * 365) * kMicrosPerDay);
    m.created -= m.created % kMicrosPerSecond;
    world.merchants_by_country[m.country].push_back(static_cast<int32_t>(j));
  }
  return world;
}

int32_t PickMerchant(const World& world, Rng& rng, int country, bool foreign) {
  if (foreign) {
    // Any merchant outside the home country.
    for (int tries = 0; tries < 16; ++tries) {
      const auto j = static_cast<int32_t>(rng.UniformInt(0, world.options.merchants - 1));
      if (world.merchants[j].country != country) return j;
    }
  }
  const std::vector<int32_t>& local = world.merchants_by_country[country];
  if (local.empty()) return static_cast<int32_t>(rng.UniformInt(0, world.options.merchants - 1));
  return local[rng.UniformInt(0, static_cast<int64_t>(local.size()) - 1)];
}

struct Block {
  std::string text;
  int64_t frauds = 0;
};

// Rows [first, end) of transactions.csv. Depends only on the world and the
// block index, so the output is the same whatever the thread count.
void GenerateBlock(const World& world, int64_t block, Block* out) {
  const FraudDataOptions& o = world.options;
  const int64_t first = block * kBlockRows;
  const int64_t end = std::min(o.rows, first + kBlockRows);
  Rng rng(o.seed, /*stream=*/1000 + block);
  // The file is time-ordered: each block owns a slice of the window.
  const double window = static_cast<double>(o.days) * kMicrosPerDay;
  const double t0 = o.start + window * first / o.rows;
  const double t1 = o.start + window * end / o.rows;
  std::vector<TimestampMicros> times(end - first);
  for (TimestampMicros& t : times) {
    t = static_cast<TimestampMicros>(t0 + rng.Uniform() * (t1 - t0));
    t -= t % kMicrosPerSecond;
  }
  std::sort(times.begin(), times.end());

  out->text.reserve((end - first) * 96);
  for (int64_t row = first; row < end; ++row) {
    const TimestampMicros time = times[row - first];
    const auto user_index = static_cast<int64_t>(rng.Pick(world.user_activity));
    const User& user = world.users[user_index];
    const bool foreign = rng.Bernoulli(0.06);
    const int32_t merchant_index = PickMerchant(world, rng, user.country, foreign);
    const Merchant& merchant = world.merchants[merchant_index];
    const Category& category = kCategories[merchant.category];
    const bool really_foreign = merchant.country != user.country;
    const int device = rng.Bernoulli(0.8) ? user.device : static_cast<int>(rng.UniformInt(0, 2));
    const int hour = static_cast<int>((time % kMicrosPerDay) / kMicrosPerHour);
    const bool night = hour < 6;
    const bool new_account = time - user.signup < 30 * kMicrosPerDay;

    const double logit = -5.85 + 2.2 * really_foreign + 1.3 * night + 1.2 * category.risky +
                         1.4 * new_account + 0.9 * (device != user.device) + 0.3 * rng.Normal();
    const bool fraud = rng.Uniform() < 1.0 / (1.0 + std::exp(-logit));
    double amount = category.median_amount * user.spend * rng.LogNormal(0, 0.6);
    if (fraud) amount *= 2 + 4 * rng.Uniform();  // fraud spends far above the usual
    out->frauds += fraud;

    std::string& s = out->text;
    absl::StrAppend(&s, row + 1, ",", FormatRfc3339(time), ",", user_index + 1, ",",
                    merchant_index + 1, ",");
    if (!rng.Bernoulli(0.002)) AppendCents(&s, std::max(0.01, amount));
    absl::StrAppend(&s, ",", category.name, ",");
    if (!rng.Bernoulli(0.005)) s += kCountries[merchant.country];
    s += ',';
    if (!rng.Bernoulli(0.02)) s += kDevices[device];
    absl::StrAppend(&s, ",", fraud ? "1" : "0", "\n");
  }
}

Status WriteTransactions(const std::string& path, const World& world, ThreadPool& pool,
                         Progress* progress, FraudDataSummary* summary) {
  KEEL_ASSIGN_OR_RETURN(AtomicFileWriter writer, AtomicFileWriter::Create(path));
  KEEL_RETURN_IF_ERROR(writer.Append(
      "transaction_id,event_time,user_id,merchant_id,amount,category,country,device,is_fraud\n"));
  const int64_t blocks = (world.options.rows + kBlockRows - 1) / kBlockRows;
  // Blocks are made in waves on all threads and written in order, so memory
  // stays bounded at a few blocks per thread.
  const int64_t wave = static_cast<int64_t>(pool.size()) * 2;
  for (int64_t begin = 0; begin < blocks; begin += wave) {
    const int64_t end = std::min(blocks, begin + wave);
    std::vector<Block> made(end - begin);
    pool.ParallelFor(end - begin, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) GenerateBlock(world, begin + i, &made[i]);
    });
    for (int64_t i = begin; i < end; ++i) {
      KEEL_RETURN_IF_ERROR(writer.Append(made[i - begin].text));
      summary->frauds += made[i - begin].frauds;
      if (progress != nullptr) {
        progress->Add(std::min(world.options.rows, (i + 1) * kBlockRows) - i * kBlockRows);
      }
    }
  }
  summary->transactions = world.options.rows;
  summary->transaction_bytes = writer.size();
  return writer.Commit();
}

Status WriteUsers(const std::string& path, const World& world) {
  std::string s = "user_id,signup_time,home_country,age,segment\n";
  for (size_t i = 0; i < world.users.size(); ++i) {
    const User& u = world.users[i];
    absl::StrAppend(&s, i + 1, ",", FormatRfc3339(u.signup), ",", kCountries[u.country], ",");
    if (u.age > 0) absl::StrAppend(&s, u.age);
    absl::StrAppend(&s, ",", kSegments[u.segment], "\n");
  }
  return WriteFileAtomic(path, s);
}

Status WriteMerchants(const std::string& path, const World& world) {
  std::string s = "merchant_id,name,category,country,created_time\n";
  for (size_t j = 0; j < world.merchants.size(); ++j) {
    const Merchant& m = world.merchants[j];
    absl::StrAppend(&s, j + 1, ",merchant_", j + 1, ",", kCategories[m.category].name, ",",
                    kCountries[m.country], ",", FormatRfc3339(m.created), "\n");
  }
  return WriteFileAtomic(path, s);
}

// Weekly snapshots of each user's account, from a week before the window to
// its end: the values change over time, which point-in-time joins must honour.
StatusOr<int64_t> WriteSnapshots(const std::string& path, const World& world) {
  KEEL_ASSIGN_OR_RETURN(AtomicFileWriter writer, AtomicFileWriter::Create(path));
  KEEL_RETURN_IF_ERROR(writer.Append("user_id,snapshot_time,credit_limit,risk_tier,num_cards\n"));
  const FraudDataOptions& o = world.options;
  Rng rng(o.seed, /*stream=*/2);
  const int weeks = o.days / 7 + 2;
  int64_t count = 0;
  std::string s;
  for (size_t i = 0; i < world.users.size(); ++i) {
    const User& u = world.users[i];
    double limit = (u.segment == 0 ? 2000 : u.segment == 1 ? 8000 : 15000) * u.spend;
    int tier = static_cast<int>(rng.UniformInt(0, 2));
    int cards = static_cast<int>(rng.UniformInt(1, 3));
    // A profile exists from account opening: the first snapshot is at signup
    // (or a week before the window for older accounts), then weekly.
    const TimestampMicros first = std::max(u.signup, o.start - 7 * kMicrosPerDay);
    for (int w = -1; w < weeks; ++w) {
      const TimestampMicros t = w < 0 ? first : o.start + (w - 1) * 7 * kMicrosPerDay;
      if (w >= 0 && t <= first) continue;
      if (rng.Bernoulli(0.15)) limit *= rng.Bernoulli(0.7) ? 1.1 : 0.9;
      if (rng.Bernoulli(0.05)) tier = static_cast<int>(rng.UniformInt(0, 2));
      if (rng.Bernoulli(0.03)) cards = std::min(5, cards + 1);
      absl::StrAppend(&s, i + 1, ",", FormatRfc3339(t), ",");
      AppendCents(&s, std::round(limit / 50) * 50);
      absl::StrAppend(&s, ",", kRiskTiers[tier], ",", cards, "\n");
      ++count;
    }
    if (s.size() > (1 << 20)) {
      KEEL_RETURN_IF_ERROR(writer.Append(s));
      s.clear();
    }
  }
  KEEL_RETURN_IF_ERROR(writer.Append(s));
  KEEL_RETURN_IF_ERROR(writer.Commit());
  return count;
}

}  // namespace

// Measured: about 67 bytes per transaction row with the default options.
int64_t RowsForBytes(int64_t bytes) { return std::max<int64_t>(1, bytes / 67); }

StatusOr<FraudDataSummary> WriteFraudData(const std::string& dir, const FraudDataOptions& given,
                                          Progress* progress) {
  FraudDataOptions options = given;
  if (options.rows <= 0) return absl::InvalidArgumentError("--rows must be at least 1");
  if (options.days <= 0) return absl::InvalidArgumentError("--days must be at least 1");
  if (options.users < 0 || options.merchants < 0) {
    return absl::InvalidArgumentError("--users and --merchants must not be negative");
  }
  if (options.users == 0) options.users = std::max<int64_t>(100, options.rows / 50);
  if (options.merchants == 0) options.merchants = std::max<int64_t>(50, options.users / 10);
  KEEL_RETURN_IF_ERROR(MakeDirs(dir));

  const World world = BuildWorld(options);
  ThreadPool pool(options.threads > 0 ? options.threads : 0);
  FraudDataSummary summary;
  summary.users = options.users;
  summary.merchants = options.merchants;
  KEEL_RETURN_IF_ERROR(WriteUsers(dir + "/users.csv", world));
  KEEL_RETURN_IF_ERROR(WriteMerchants(dir + "/merchants.csv", world));
  KEEL_ASSIGN_OR_RETURN(summary.snapshots, WriteSnapshots(dir + "/user_snapshots.csv", world));
  KEEL_RETURN_IF_ERROR(
      WriteTransactions(dir + "/transactions.csv", world, pool, progress, &summary));
  return summary;
}

}  // namespace keel::datagen
