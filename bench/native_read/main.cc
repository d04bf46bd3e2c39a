// Times Keel's native columnar file against parsing the CSV it came from.
//
//   bench_native_read --generate DIR [--mb N]   keel datagen fraud into DIR
//                                               (for builds without `keel`)
//   bench_native_read --csv FILE --native OUT [--repeat R] [--threads T]
//                     [--columns A,B]
//   bench_native_read --native FILE [--repeat R] [--threads T]   ReadAll only
//
// --csv: ReadCsv(FILE), then for each compression (none, then zstd)
// WriteNativeFile to OUT and NativeFileReader ReadAll and ReadColumns(A, B)
// (default amount,is_fraud); each the best of R runs (file in the page
// cache; a plain read maps the file, verifies every chunk's checksum, so
// every byte is read, and checks string offsets). Checks that the table read
// back equals the parsed one. Prints one row per step, the file sizes and
// "ratio csv_parse/native_read N" (plain) and "..._zstd N".
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "keel/datagen/fraud_data.h"
#include "keel/table/csv_reader.h"
#include "keel/table/native_file.h"

namespace {

int Fail(const keel::Status& status) {
  std::fprintf(stderr, "bench_native_read: %s\n", std::string(status.message()).c_str());
  return 1;
}

// Best wall time of `repeat` calls of `fn`, in seconds; stops at an error.
keel::StatusOr<double> Best(int repeat, const std::function<keel::Status()>& fn) {
  double best = 1e300;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    KEEL_RETURN_IF_ERROR(fn());
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

int64_t FileBytes(const std::string& path) {
  std::error_code error;
  const auto bytes = std::filesystem::file_size(path, error);
  return error ? -1 : static_cast<int64_t>(bytes);
}

void Row(const char* step, int64_t rows, double seconds, int64_t bytes) {
  std::printf("%-34s %10lld rows %9.3f s %9.1f MB/s\n", step, static_cast<long long>(rows), seconds,
              static_cast<double>(bytes) / 1e6 / seconds);
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

int Run(const std::string& csv, const std::string& native, int repeat, int threads,
        const std::vector<std::string>& columns) {
  keel::CsvReadOptions csv_options;
  csv_options.num_threads = threads;
  keel::Table table;
  auto parse = Best(repeat, [&]() -> keel::Status {
    KEEL_ASSIGN_OR_RETURN(table, keel::ReadCsv(csv, csv_options));
    return absl::OkStatus();
  });
  if (!parse.ok()) return Fail(parse.status());
  const int64_t csv_bytes = FileBytes(csv);

  std::printf("rows %lld, %d columns; csv %.1f MB\n", static_cast<long long>(table.num_rows()),
              table.num_columns(), csv_bytes / 1e6);
  std::printf("%-34s %10s      %9s   %s\n", "step", "", "best", "(MB/s of the file read)");
  Row("csv_parse (ReadCsv)", table.num_rows(), *parse, csv_bytes);
  // Plain first (what a local lake writes), then zstd; each file replaces
  // the previous one so that only one sits in the page cache.
  for (const keel::NativeCompression compression :
       {keel::NativeCompression::kNone, keel::NativeCompression::kZstd}) {
    const std::string name = keel::NativeCompressionName(compression);
    keel::NativeWriteOptions write_options;
    write_options.compression = compression;
    write_options.num_threads = threads;
    auto write = Best(repeat, [&] { return keel::WriteNativeFile(table, native, write_options); });
    if (!write.ok()) return Fail(write.status());
    const int64_t native_bytes = FileBytes(native);

    keel::Table read_back;
    auto read_all = Best(repeat, [&]() -> keel::Status {
      read_back = keel::Table();  // unmap the previous read first
      KEEL_ASSIGN_OR_RETURN(auto reader, keel::NativeFileReader::Open(native));
      KEEL_ASSIGN_OR_RETURN(read_back, reader->ReadAll(threads));
      return absl::OkStatus();
    });
    if (!read_all.ok()) return Fail(read_all.status());
    if (!read_back.Equals(table)) {
      std::fprintf(stderr, "bench_native_read: the table read back differs from the CSV's\n");
      return 1;
    }
    read_back = keel::Table();
    keel::Table some;
    auto read_some = Best(repeat, [&]() -> keel::Status {
      some = keel::Table();
      KEEL_ASSIGN_OR_RETURN(auto reader, keel::NativeFileReader::Open(native));
      KEEL_ASSIGN_OR_RETURN(some, reader->ReadColumns(columns, threads));
      return absl::OkStatus();
    });
    if (!read_some.ok()) return Fail(read_some.status());

    std::printf("compression %s: native %.1f MB (%.2fx smaller than the csv)\n", name.c_str(),
                native_bytes / 1e6, static_cast<double>(csv_bytes) / native_bytes);
    Row(("native_write " + name).c_str(), table.num_rows(), *write, native_bytes);
    Row(("native_read " + name + " (ReadAll)").c_str(), table.num_rows(), *read_all, native_bytes);
    std::string label = "native_read " + name + " (";
    for (size_t i = 0; i < columns.size(); ++i) label += (i ? "," : "") + columns[i];
    label += ")";
    Row(label.c_str(), some.num_rows(), *read_some, native_bytes);
    const std::string suffix = compression == keel::NativeCompression::kNone ? "" : "_zstd";
    std::printf("ratio csv_parse/native_read%s %.1f\n", suffix.c_str(), *parse / *read_all);
    std::printf("ratio csv_parse/native_read_columns%s %.1f\n", suffix.c_str(),
                *parse / *read_some);
    std::printf("ratio csv_bytes/native_bytes%s %.2f\n", suffix.c_str(),
                static_cast<double>(csv_bytes) / native_bytes);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string generate, csv, native, columns = "amount,is_fraud";
  int64_t megabytes = 200;
  int repeat = 3, threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--generate") {
      generate = argv[i + 1];
    } else if (flag == "--mb") {
      megabytes = std::atoll(argv[i + 1]);
    } else if (flag == "--csv") {
      csv = argv[i + 1];
    } else if (flag == "--native") {
      native = argv[i + 1];
    } else if (flag == "--repeat") {
      repeat = std::atoi(argv[i + 1]);
    } else if (flag == "--threads") {
      threads = std::atoi(argv[i + 1]);
    } else if (flag == "--columns") {
      columns = argv[i + 1];
    } else {
      std::fprintf(stderr, "bench_native_read: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (!generate.empty()) {
    keel::datagen::FraudDataOptions options;
    options.rows = keel::datagen::RowsForBytes(megabytes * 1000 * 1000);
    auto summary = keel::datagen::WriteFraudData(generate, options, nullptr);
    return summary.ok() ? 0 : Fail(summary.status());
  }
  if (csv.empty() && !native.empty()) {  // --native alone: time ReadAll of an existing file
    auto seconds = Best(repeat, [&]() -> keel::Status {
      KEEL_ASSIGN_OR_RETURN(auto reader, keel::NativeFileReader::Open(native));
      return reader->ReadAll(threads).status();
    });
    if (!seconds.ok()) return Fail(seconds.status());
    Row("native_read (ReadAll)", 0, *seconds, FileBytes(native));
    return 0;
  }
  if (!csv.empty() && !native.empty()) return Run(csv, native, repeat, threads, Split(columns));
  std::fprintf(stderr,
               "usage: bench_native_read --csv FILE --native OUT [--repeat R] [--threads T] "
               "[--columns A,B]\n       bench_native_read --generate DIR [--mb N]\n");
  return 2;
}
