// Times keel::TryParseTimestamp / ParseTimestamp on generated strings.
//
//   bench_timestamp_parse [--n N] [--repeat R] [--out DIR]
//
// Generates N (default 5,000,000) RFC 3339 strings with 1..9 fraction digits
// and 'Z' or +hh:mm offsets, and N "YYYY-MM-DD HH:MM:SS" strings, from a fixed
// seed. Prints one row per measurement: dataset, implementation, count,
// seconds (best of R runs) and ns per value. With --out, writes the strings to
// DIR/<dataset>.txt (one a line) and Keel's results to DIR/<dataset>.keel.i64
// (little-endian int64 microseconds) so that a peer can parse the same
// strings and check its answers.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/time.h"

namespace {

struct Dataset {
  std::string name;
  std::string bytes;                    // the strings, each followed by '\n'
  std::vector<std::string_view> texts;  // views into `bytes`
};

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  return kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

// Fills `set` with n strings; `with_zone` picks the RFC 3339 layout with a
// fraction and an offset, otherwise "YYYY-MM-DD HH:MM:SS".
void Generate(size_t n, bool with_zone, uint64_t seed, Dataset* set) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  set->bytes.reserve(n * (with_zone ? 36 : 20));
  std::vector<size_t> ends;
  ends.reserve(n);
  char buf[64];
  for (size_t i = 0; i < n; ++i) {
    const int year = uniform(1900, 2100);
    const int month = uniform(1, 12);
    const int day = uniform(1, DaysInMonth(year, month));
    int len =
        std::snprintf(buf, sizeof(buf),
                      with_zone ? "%04d-%02d-%02dT%02d:%02d:%02d" : "%04d-%02d-%02d %02d:%02d:%02d",
                      year, month, day, uniform(0, 23), uniform(0, 59), uniform(0, 59));
    if (with_zone) {
      const int digits = uniform(1, 9);
      buf[len++] = '.';
      for (int d = 0; d < digits; ++d) buf[len++] = static_cast<char>('0' + uniform(0, 9));
      if (uniform(0, 3) == 0) {
        buf[len++] = 'Z';
      } else {
        const int quarter_hours = uniform(-48, 56);  // -12:00 .. +14:00
        const int minutes = std::abs(quarter_hours) * 15;
        len += std::snprintf(buf + len, sizeof(buf) - len, "%c%02d:%02d",
                             quarter_hours < 0 ? '-' : '+', minutes / 60, minutes % 60);
      }
    }
    set->bytes.append(buf, len);
    set->bytes.push_back('\n');
    ends.push_back(set->bytes.size() - 1);
  }
  size_t begin = 0;
  for (size_t end : ends) {
    set->texts.emplace_back(set->bytes.data() + begin, end - begin);
    begin = end + 1;
  }
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void PrintRow(const std::string& dataset, const char* impl, size_t n, double seconds) {
  std::printf("%-16s %-26s %9zu %9.3f s %9.1f ns/value\n", dataset.c_str(), impl, n, seconds,
              seconds * 1e9 / static_cast<double>(n));
  std::fflush(stdout);
}

// Parses every string of `set` `repeat` times; returns the best time and
// leaves the results in `out`. Exits when a string does not parse.
double TimeTryParse(const Dataset& set, const keel::TimeZone& zone, int repeat,
                    std::vector<keel::TimestampMicros>* out) {
  out->assign(set.texts.size(), 0);
  double best = 1e300;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    size_t failed = 0;
    keel::TimestampMicros* dst = out->data();
    for (std::string_view text : set.texts) {
      failed += keel::TryParseTimestamp(text, zone, dst++) ? 0 : 1;
    }
    best = std::min(best, Seconds(start));
    if (failed != 0) {
      std::fprintf(stderr, "bench_timestamp_parse: %zu strings of %s did not parse\n", failed,
                   set.name.c_str());
      std::exit(1);
    }
  }
  return best;
}

double TimeParseStatusOr(const Dataset& set, int repeat) {
  double best = 1e300;
  uint64_t sum = 0;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (std::string_view text : set.texts)
      sum += static_cast<uint64_t>(*keel::ParseTimestamp(text));
    best = std::min(best, Seconds(start));
  }
  if (sum == 42) std::puts("");  // keeps the loop from being optimized away
  return best;
}

bool WriteFile(const std::string& path, const void* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(data, 1, size, f) == size;
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 5'000'000;
  int repeat = 3;
  std::string out_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--n" && i + 1 < argc) {
      n = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--out" && i + 1 < argc) {
      out_dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: bench_timestamp_parse [--n N] [--repeat R] [--out DIR]\n");
      return 2;
    }
  }
  if (n == 0) n = 1;

  Dataset rfc3339{"rfc3339_offsets", {}, {}};
  Dataset naive{"naive_seconds", {}, {}};
  Generate(n, /*with_zone=*/true, 1, &rfc3339);
  Generate(n, /*with_zone=*/false, 2, &naive);
  auto new_york = keel::TimeZone::Load("America/New_York");
  if (!new_york.ok()) {
    std::fprintf(stderr, "bench_timestamp_parse: %s\n", new_york.status().ToString().c_str());
    return 1;
  }

  std::vector<keel::TimestampMicros> values;
  for (Dataset* set : {&rfc3339, &naive}) {
    PrintRow(set->name, "keel", n, TimeTryParse(*set, keel::TimeZone::Utc(), repeat, &values));
    if (!out_dir.empty()) {
      const std::string base = out_dir + "/" + set->name;
      if (!WriteFile(base + ".txt", set->bytes.data(), set->bytes.size()) ||
          !WriteFile(base + ".keel.i64", values.data(), values.size() * sizeof(values[0]))) {
        std::fprintf(stderr, "bench_timestamp_parse: cannot write %s.*\n", base.c_str());
        return 1;
      }
    }
    PrintRow(set->name, "keel_statusor", n, TimeParseStatusOr(*set, repeat));
  }
  std::vector<keel::TimestampMicros> local;
  PrintRow(naive.name, "keel_in_America/New_York", n,
           TimeTryParse(naive, *new_york, repeat, &local));
  return 0;
}
