// Times keel::ReadCsv on a transactions-like CSV.
//
//   bench_csv_read --generate FILE [--mb N]     writes about N MB (default 100)
//   bench_csv_read --read FILE [--name NAME] [--repeat R] [--threads T]
//
// The generated file (fixed seed) has an int64 id and account, a naive
// "YYYY-MM-DD HH:MM:SS" timestamp, a 2-decimal amount with some empty cells,
// a currency, a merchant name that is sometimes quoted with a comma inside,
// a category, a bool and two 6-decimal coordinates.
//
// --read prints one row: dataset, implementation, rows, best seconds of R
// runs, MB/s; then the table's size in memory and the process's peak RSS
// (the reader's memory target: peak <= 2x the table).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "keel/table/csv_reader.h"

namespace {

int Generate(const std::string& path, int64_t megabytes) {
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    std::fprintf(stderr, "bench_csv_read: cannot write %s\n", path.c_str());
    return 1;
  }
  std::mt19937_64 rng(42);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const char* currencies[] = {"EUR", "USD", "GBP", "JPY", "CHF"};
  const char* merchants[] = {"ACME Corp", "\"Smith, Jones & Co\"",        "Café Zoë",
                             "Big Store", "\"Joe's \"\"Best\"\" Diner\"", "Online Shop 24"};
  const char* categories[] = {"grocery", "travel", "electronics", "restaurants", "fuel", "other"};
  out << "txn_id,account_id,ts,amount,currency,merchant,category,is_fraud,lat,lon\n";
  const int64_t target = megabytes * 1000 * 1000;
  int64_t written = 0;
  std::string line;
  char buffer[256];
  for (int64_t i = 0; written < target; ++i) {
    line.clear();
    const int64_t t = 1'672'531'200 + i * 7 + uniform(0, 6);  // from 2023-01-01, seconds
    const time_t seconds = static_cast<time_t>(t);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    std::snprintf(buffer, sizeof(buffer), "%lld,%lld,%04d-%02d-%02d %02d:%02d:%02d,",
                  static_cast<long long>(1'000'000'000 + i),
                  static_cast<long long>(uniform(100000, 999999)), tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    line += buffer;
    if (uniform(0, 49) != 0) {
      const int64_t cents = uniform(1, 500000);
      std::snprintf(buffer, sizeof(buffer), "%lld.%02lld", static_cast<long long>(cents / 100),
                    static_cast<long long>(cents % 100));
      line += buffer;
    }
    line += ',';
    line += currencies[uniform(0, 4)];
    line += ',';
    line += merchants[uniform(0, 5)];
    line += ',';
    line += categories[uniform(0, 5)];
    line += uniform(0, 99) == 0 ? ",true," : ",false,";
    std::snprintf(buffer, sizeof(buffer), "%.6f,%.6f\n", uniform(-90'000'000, 90'000'000) / 1e6,
                  uniform(-180'000'000, 180'000'000) / 1e6);
    line += buffer;
    out << line;
    written += static_cast<int64_t>(line.size());
  }
  return out ? 0 : 1;
}

int64_t TableBytes(const keel::Table& table) {
  int64_t bytes = 0;
  for (const keel::Column& column : table.columns()) {
    const int64_t n = column.length();
    if (column.validity_bitmap() != nullptr) bytes += (n + 7) / 8;
    switch (column.type()) {
      case keel::DataType::kBool:
        bytes += n;
        break;
      case keel::DataType::kString:
        bytes += (n + 1) * 8 + static_cast<int64_t>(column.StringData().size());
        break;
      default:
        bytes += n * 8;
    }
  }
  return bytes;
}

int Read(const std::string& path, const std::string& name, int repeat, int threads) {
  keel::CsvReadOptions options;
  options.num_threads = threads;
  double best = 1e100;
  int64_t rows = 0;
  int64_t table_bytes = 0;
  std::string schema;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    auto table = keel::ReadCsv(path, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!table.ok()) {
      std::fprintf(stderr, "bench_csv_read: %s\n", std::string(table.status().message()).c_str());
      return 1;
    }
    best = std::min(best, seconds);
    rows = table->num_rows();
    table_bytes = TableBytes(*table);
    schema = table->schema().ToString();
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const double mb = static_cast<double>(in.tellg()) / 1e6;
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  const double peak_mb = static_cast<double>(usage.ru_maxrss) / 1e3;  // ru_maxrss is in KiB
  std::printf("%-14s %-28s %10lld %9.3f s %8.1f MB/s\n", name.c_str(), "keel ReadCsv",
              static_cast<long long>(rows), best, mb / best);
  std::printf("keel: schema (%s)\n", schema.c_str());
  std::printf("keel: table %.1f MB in memory, peak RSS %.1f MB (%.2fx the table)\n",
              table_bytes / 1e6, peak_mb, peak_mb * 1e6 / static_cast<double>(table_bytes));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string generate, read, name = "transactions";
  int64_t megabytes = 100;
  int repeat = 3, threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--generate") {
      generate = argv[i + 1];
    } else if (flag == "--read") {
      read = argv[i + 1];
    } else if (flag == "--name") {
      name = argv[i + 1];
    } else if (flag == "--mb") {
      megabytes = std::atoll(argv[i + 1]);
    } else if (flag == "--repeat") {
      repeat = std::atoi(argv[i + 1]);
    } else if (flag == "--threads") {
      threads = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "bench_csv_read: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (!generate.empty()) return Generate(generate, megabytes);
  if (!read.empty()) return Read(read, name, repeat, threads);
  std::fprintf(stderr,
               "usage: bench_csv_read --generate FILE [--mb N] | --read FILE [--name NAME] [--repeat R] "
               "[--threads T]\n");
  return 2;
}
