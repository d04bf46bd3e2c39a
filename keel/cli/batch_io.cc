#include "keel/cli/batch_io.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "keel/base/progress.h"
#include "keel/cli/common.h"
#include "keel/lake/partition.h"
#include "keel/storage/object_store.h"
#include "keel/table/csv_stream.h"
#include "keel/table/csv_writer.h"
#include "keel/table/json_reader.h"
#include "keel/table/json_writer.h"
#include "keel/table/native_file.h"
#include "keel/table/parquet_reader.h"
#include "keel/table/parquet_writer.h"

namespace keel::cli {
namespace {

enum class InputFormat { kCsv, kTsv, kJsonLines, kParquet, kNative, kUnknown };

InputFormat FormatOf(const std::string& name) {
  std::string lower = absl::AsciiStrToLower(name);
  for (const char* suffix : {".gz", ".zst", ".zstd"}) {
    if (absl::EndsWith(lower, suffix)) lower.resize(lower.size() - std::strlen(suffix));
  }
  if (absl::EndsWith(lower, ".csv") || absl::EndsWith(lower, ".txt")) return InputFormat::kCsv;
  if (absl::EndsWith(lower, ".tsv") || absl::EndsWith(lower, ".tab")) return InputFormat::kTsv;
  for (const char* ext : {".jsonl", ".ndjson", ".json"}) {
    if (absl::EndsWith(lower, ext)) return InputFormat::kJsonLines;
  }
  if (absl::EndsWith(lower, ".parquet") || absl::EndsWith(lower, ".pq")) {
    return InputFormat::kParquet;
  }
  if (absl::EndsWith(lower, ".kcol")) return InputFormat::kNative;
  return InputFormat::kUnknown;
}

}  // namespace

StatusOr<Shard> ParseShard(const std::string& text) {
  const std::vector<std::string> parts = absl::StrSplit(text, '/');
  Shard shard;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &shard.index) ||
      !absl::SimpleAtoi(parts[1], &shard.count)) {
    return AsUsageError(absl::InvalidArgumentError(absl::StrCat(
        "--shard ", text, ": expected I/N, e.g. --shard 2/4 for the second of four parts")));
  }
  if (shard.count < 1 || shard.index < 1 || shard.index > shard.count) {
    return AsUsageError(absl::InvalidArgumentError(
        absl::StrCat("--shard ", text, ": need 1 <= I <= N (shards are numbered 1 to N)")));
  }
  return shard;
}

std::pair<int64_t, int64_t> ShardRows(const Shard& shard, int64_t rows) {
  auto start = [&](int64_t i) {
    // Rounded down, so sizes differ by at most one; exact for any rows.
    return static_cast<int64_t>((static_cast<__int128>(rows) * i) / shard.count);
  };
  return {start(shard.index - 1), start(shard.index)};
}

StatusOr<std::unique_ptr<BatchInput>> BatchInput::Open(CommandContext& context, Lake& lake,
                                                       const std::string& data,
                                                       BatchInputOptions options) {
  std::unique_ptr<BatchInput> input(new BatchInput());
  input->options_ = std::move(options);
  const InputFormat format = FormatOf(data);
  const bool uri = absl::StrContains(data, "://");
  if (!uri && format == InputFormat::kUnknown && !absl::StrContains(data, "/")) {
    KEEL_ASSIGN_OR_RETURN(DatasetVersionRecord v, ResolveDatasetArg(lake, data));
    input->described_ = absl::StrCat(v.dataset, "@", v.version.substr(0, 12));
    KEEL_ASSIGN_OR_RETURN(input->table_, lake.ReadTable(v));
    return input;
  }
  input->described_ = data;
  if (format == InputFormat::kUnknown) {
    return AsUsageError(absl::InvalidArgumentError(
        absl::StrCat("--data ", data,
                     ": cannot tell the format from the name; known: .csv, .tsv, .txt, .jsonl, "
                     ".ndjson, .json (each optionally .gz or .zst), .parquet, .pq, .kcol; or a "
                     "dataset NAME[@VERSION]")));
  }
  std::string path = data;
  if (uri) {
    KEEL_ASSIGN_OR_RETURN(StorageUri parsed, ParseStorageUri(data));
    if (parsed.scheme == "file") {
      path = parsed.path;
    } else {
      KEEL_ASSIGN_OR_RETURN(Workspace * workspace, context.workspace());
      KEEL_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> remote,
                            ObjectStoreRegistry::Builtins().Open(
                                absl::StrCat(parsed.scheme, "://", parsed.authority),
                                OptionsFromConfig(workspace->config())));
      const std::string dir = workspace->state_dir() + "/tmp";
      KEEL_RETURN_IF_ERROR(MakeDirs(dir));
      // Keeps the name's extensions, so gzip/zstd and the format still tell.
      input->temp_path_ = absl::StrCat(dir, "/input-", ::getpid(), "-", std::random_device{}(),
                                       "-", parsed.path.substr(parsed.path.rfind('/') + 1));
      KEEL_RETURN_IF_ERROR(remote->GetToFile(parsed.path, input->temp_path_));
      path = input->temp_path_;
    }
  }
  switch (format) {
    case InputFormat::kCsv:
    case InputFormat::kTsv:
      input->csv_path_ = path;
      input->csv_delimiter_ = format == InputFormat::kTsv ? '\t' : ',';
      // Fail now, not after a counting pass, when the file is missing.
      if (::access(path.c_str(), R_OK) != 0) {
        return ErrnoToStatus(errno, absl::StrCat("--data ", data));
      }
      break;
    case InputFormat::kJsonLines: {
      JsonReadOptions read;
      for (const Field& field : input->options_.types.fields()) {
        read.schema_override[field.name] = field.type;
      }
      read.schema_override_may_name_missing_columns = true;
      KEEL_ASSIGN_OR_RETURN(input->table_, ReadJsonLines(path, read));
      break;
    }
    case InputFormat::kParquet: {
      KEEL_ASSIGN_OR_RETURN(input->table_, ReadParquet(path));
      break;
    }
    case InputFormat::kNative: {
      KEEL_ASSIGN_OR_RETURN(std::unique_ptr<NativeFileReader> reader, NativeFileReader::Open(path));
      KEEL_ASSIGN_OR_RETURN(input->table_, reader->ReadAll());
      break;
    }
    case InputFormat::kUnknown:
      break;
  }
  return input;
}

BatchInput::~BatchInput() {
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

StatusOr<int64_t> BatchInput::CountRows() {
  if (table_.has_value()) return table_->num_rows();
  CsvReadOptions read;
  read.delimiter = csv_delimiter_;
  return CountCsvRows(csv_path_, read);
}

Status BatchInput::Read(int64_t begin, int64_t end,
                        const std::function<Status(const Table&)>& sink) {
  const int64_t n = options_.chunk_rows;
  if (table_.has_value()) {
    const int64_t stop = end < 0 ? table_->num_rows() : std::min(end, table_->num_rows());
    if (begin >= stop) return sink(table_->Slice(std::min(begin, table_->num_rows()), 0));
    for (int64_t start = begin; start < stop; start += n) {
      KEEL_RETURN_IF_ERROR(sink(table_->Slice(start, std::min(n, stop - start))));
    }
    return absl::OkStatus();
  }
  CsvStreamOptions stream;
  stream.read.delimiter = csv_delimiter_;
  // A read batch is 4 x threads x block_size_bytes of text: about 8 MiB
  // whatever the number of cores, so memory does not grow with them.
  const int64_t threads = std::max(1u, std::thread::hardware_concurrency());
  stream.read.block_size_bytes = std::max<int64_t>(64 << 10, (2 << 20) / threads);
  for (const Field& field : options_.types.fields()) {
    stream.read.schema_override[field.name] = field.type;
  }
  stream.chunk_rows = n;
  int64_t row = 0;  // of the input, at the start of the chunk
  int64_t handed = 0;
  std::optional<Table> empty;  // the schema, for an empty range
  KEEL_RETURN_IF_ERROR(
      StreamCsv(csv_path_, stream, [&](const Table& chunk) -> StatusOr<StreamControl> {
        if (!empty.has_value()) empty = chunk.Slice(0, 0);
        const int64_t lo = std::max(begin, row);
        const int64_t hi = std::min(end < 0 ? row + chunk.num_rows() : end, row + chunk.num_rows());
        if (hi > lo) {
          KEEL_RETURN_IF_ERROR(sink(chunk.Slice(lo - row, hi - lo)));
          ++handed;
        }
        row += chunk.num_rows();
        return end >= 0 && row >= end ? StreamControl::kStop : StreamControl::kContinue;
      }));
  if (handed == 0 && empty.has_value()) return sink(*empty);
  return absl::OkStatus();
}

StatusOr<BatchOutput> BatchOutput::Create(const std::string& path) {
  Format format;
  if (absl::EndsWith(path, ".csv")) {
    format = Format::kCsv;
  } else if (absl::EndsWith(path, ".jsonl")) {
    format = Format::kJsonLines;
  } else if (absl::EndsWith(path, ".parquet")) {
    format = Format::kParquet;
  } else if (absl::EndsWith(path, ".kcol")) {
    format = Format::kNative;
  } else {
    return AsUsageError(absl::InvalidArgumentError(
        absl::StrCat("--out ", path, ": known formats: .csv, .jsonl, .parquet, .kcol")));
  }
  KEEL_ASSIGN_OR_RETURN(AtomicFileWriter file, AtomicFileWriter::Create(path));
  return BatchOutput(format, std::move(file));
}

Status BatchOutput::Write(const Table& chunk) {
  if (chunks_ == 0) {
    schema_ = chunk.schema();
    columns_ = schema_.names();
  } else if (!(chunk.schema() == schema_)) {
    return absl::InternalError(absl::StrCat("output chunk ", chunks_ + 1, " has schema ",
                                            chunk.schema().ToString(), ", not ",
                                            schema_.ToString()));
  }
  rows_ += chunk.num_rows();
  switch (format_) {
    case Format::kCsv: {
      CsvWriteOptions options;
      options.header = chunks_ == 0;
      KEEL_ASSIGN_OR_RETURN(std::string text, WriteCsvToString(chunk, options));
      KEEL_RETURN_IF_ERROR(file_.Append(text));
      break;
    }
    case Format::kJsonLines: {
      KEEL_ASSIGN_OR_RETURN(std::string text, WriteJsonLinesToString(chunk));
      KEEL_RETURN_IF_ERROR(file_.Append(text));
      break;
    }
    case Format::kParquet:
    case Format::kNative:
      kept_.push_back(chunk);
      break;
  }
  ++chunks_;
  return absl::OkStatus();
}

Status BatchOutput::Commit() {
  if (format_ == Format::kParquet || format_ == Format::kNative) {
    KEEL_ASSIGN_OR_RETURN(Table table, ConcatTables(kept_));
    kept_.clear();
    std::string bytes;
    if (format_ == Format::kParquet) {
      KEEL_ASSIGN_OR_RETURN(bytes, EncodeParquet(table));
    } else {
      KEEL_ASSIGN_OR_RETURN(bytes, EncodeNativeFile(table));
    }
    KEEL_RETURN_IF_ERROR(file_.Append(bytes));
  }
  return file_.Commit();
}

nlohmann::json BatchSummary::ToJson(const Shard& shard, const BatchOutput& output,
                                    const std::string& out) const {
  nlohmann::json j = {{"rows", rows},
                      {"chunks", chunks},
                      {"out", out},
                      {"columns", output.columns()},
                      {"seconds", seconds},
                      {"rows_per_second", seconds > 0 ? static_cast<double>(rows) / seconds : 0}};
  if (shard.count > 1) {
    j["shard"] = {{"index", shard.index},
                  {"count", shard.count},
                  {"first_row", first_row},
                  {"end_row", end_row}};
  }
  return j;
}

StatusOr<BatchSummary> RunBatch(CommandContext& context, const std::string& label,
                                BatchInput& input, const Shard& shard,
                                const std::function<StatusOr<Table>(const Table&)>& apply,
                                BatchOutput& output) {
  BatchSummary summary;
  int64_t total = 0;
  if (shard.count > 1) {
    KEEL_ASSIGN_OR_RETURN(int64_t rows, input.CountRows());
    std::tie(summary.first_row, summary.end_row) = ShardRows(shard, rows);
    total = summary.end_row - summary.first_row;
  } else if (!input.streamed()) {
    KEEL_ASSIGN_OR_RETURN(total, input.CountRows());
  }
  const auto start = std::chrono::steady_clock::now();
  Progress progress(label, total, "rows", context.progress_options());
  KEEL_RETURN_IF_ERROR(
      input.Read(summary.first_row, summary.end_row, [&](const Table& chunk) -> Status {
        ++summary.chunks;
        StatusOr<Table> out = apply(chunk);
        if (!out.ok()) {
          return Status(out.status().code(),
                        absl::StrCat(input.described(), ": ", out.status().message()));
        }
        KEEL_RETURN_IF_ERROR(output.Write(*out));
        progress.Add(chunk.num_rows());
        return absl::OkStatus();
      }));
  KEEL_RETURN_IF_ERROR(output.Commit());
  progress.Finish();
  summary.rows = output.rows();
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace keel::cli
