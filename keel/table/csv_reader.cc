#include "keel/table/csv_reader.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/table/csv_batch.h"
#include "keel/table/csv_column_accumulator.h"
#include "keel/table/csv_convert.h"
#include "keel/table/csv_parser.h"
#include "keel/table/csv_stream.h"
#include "keel/table/csv_tokenizer.h"
#include "keel/table/input_stream.h"
#include "keel/table/parallel.h"
#include "keel/table/utf8.h"

namespace keel {

using csv_internal::Batch;
using csv_internal::BatchSource;
using csv_internal::CellType;
using csv_internal::ChunkText;
using csv_internal::ColumnChunk;
using csv_internal::ConvertFailure;
using csv_internal::Tokenized;
using csv_internal::TokenizeError;

const std::vector<std::string>& DefaultCsvNaValues() {
  static const std::vector<std::string>* const kValues = new std::vector<std::string>{
      "",        "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
      "1.#QNAN", "<NA>", "N/A",      "NA",  "NULL",    "NaN",      "n/a",  "nan",  "null"};
  return *kValues;
}

namespace csv_internal {

Status CsvParser::ReadHeader(const Tokenized& first, const char* text) {
  num_columns_ = first.num_columns;
  for (int i = 0; i < num_columns_; ++i) {
    std::string name;
    if (options_.has_header) {
      const csv_internal::FieldRef& f = first.fields[i];
      std::string_view raw(text + f.begin, f.end() - f.begin);
      const size_t bad = FindInvalidUtf8(raw);
      if (bad != raw.size()) {
        return ErrorAt(text, f.begin + bad, absl::StatusCode::kInvalidArgument,
                       "invalid UTF-8 in the header; the file must be UTF-8 (convert it, e.g. "
                       "with iconv -f latin1 -t utf-8)");
      }
      for (size_t k = 0; k < raw.size(); ++k) {
        name += raw[k];
        if (f.escaped() && raw[k] == options_.quote) ++k;
      }
    }
    if (name.empty()) name = absl::StrCat("column_", i + 1);
    if (std::find(names_.begin(), names_.end(), name) != names_.end()) {
      for (int n = 1;; ++n) {
        std::string candidate = absl::StrCat(name, ".", n);
        if (std::find(names_.begin(), names_.end(), candidate) == names_.end()) {
          name = std::move(candidate);
          break;
        }
      }
    }
    names_.push_back(std::move(name));
  }
  return absl::OkStatus();
}

Status CsvParser::SetUpTypes(const std::vector<CellType>* forced) {
  types_.assign(num_columns_, CellType::kNull);
  fixed_.assign(num_columns_, false);
  offset_checks_.assign(num_columns_, {});
  columns_.clear();
  columns_.resize(num_columns_);
  for (const auto& [name, type] : options_.schema_override) {
    const auto it = std::find(names_.begin(), names_.end(), name);
    if (it == names_.end() && stream_sink_ != nullptr) continue;
    if (it == names_.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          name_, ": schema_override names column '", name, "', which the file does not have (",
          names_.size() <= 20 ? absl::StrJoin(names_, ", ")
                              : absl::StrCat(names_.size(), " columns"),
          ").", DidYouMean(name, names_)));
    }
    types_[it - names_.begin()] = csv_internal::FromDataType(type);
    fixed_[it - names_.begin()] = true;
  }
  if (stream_sink_ != nullptr) {
    for (int c = 0; c < num_columns_; ++c) {
      if (!fixed_[c]) types_[c] = CellType::kString;
      fixed_[c] = true;
    }
  }
  if (forced != nullptr) {
    for (int c = 0; c < num_columns_; ++c) {
      types_[c] = (*forced)[c] == CellType::kNull ? CellType::kString : (*forced)[c];
      fixed_[c] = true;
    }
  }
  return absl::OkStatus();
}

void CsvParser::ConvertChunk(const char* text, Chunk* chunk) {
  const Tokenized& tokens = chunk->tokens;
  if (tokens.error != TokenizeError::kNone) {
    chunk->failed = true;
    chunk->fail_offset = tokens.error_offset;
  }
  const ChunkText view{text + chunk->begin, tokens.fields.data(), tokens.rows, num_columns_};
  chunk->columns.resize(num_columns_);
  for (int c = 0; c < num_columns_; ++c) {
    ConvertFailure failure;
    csv_internal::ConvertColumn(view, c, types_[c], fixed_[c], convert_, &chunk->columns[c],
                                &failure);
    if (failure.kind != ConvertFailure::Kind::kNone &&
        (!chunk->failed || failure.offset < chunk->fail_offset)) {
      chunk->failed = true;
      chunk->fail_offset = failure.offset;
      chunk->fail_column = c;
      chunk->fail_kind = failure.kind;
    }
  }
}

Status CsvParser::ParseBatch(const char* text, size_t size, bool eof, size_t* consumed,
                             int64_t* newlines) {
  // One thread tokenizes the batch in one go; more split it into chunks.
  const std::vector<size_t> starts =
      parallel_.threads() == 1
          ? std::vector<size_t>{0}
          : csv_internal::FindChunkStarts(
                text, size, static_cast<size_t>(options_.block_size_bytes), dialect_, parallel_);
  std::vector<Chunk> chunks(starts.size());
  for (size_t k = 0; k < starts.size(); ++k) {
    chunks[k].begin = starts[k];
    chunks[k].size = (k + 1 < starts.size() ? starts[k + 1] : size) - starts[k];
    if (!spare_tokens_.empty()) {
      chunks[k].tokens = std::move(spare_tokens_.back());
      spare_tokens_.pop_back();
    }
  }
  parallel_.For(static_cast<int64_t>(chunks.size()), [&](int64_t k) {
    Chunk& chunk = chunks[k];
    const bool last = static_cast<size_t>(k) + 1 == chunks.size();
    csv_internal::Tokenize(text + chunk.begin, chunk.size, chunk.size, last && eof, dialect_,
                           num_columns_, &chunk.tokens);
    ConvertChunk(text, &chunk);
  });

  // Keep chunks up to the first whose start was guessed wrong.
  size_t valid = 0;
  for (; valid < chunks.size(); ++valid) {
    const Chunk& chunk = chunks[valid];
    if (chunk.failed) return ChunkError(text, chunk);
    if (valid + 1 < chunks.size() && chunk.tokens.consumed != chunk.size) break;
  }
  size_t pos;
  if (valid == chunks.size()) {
    pos = chunks.back().begin + chunks.back().tokens.consumed;
  } else {
    // Sequential from the end of the last good chunk's rows.
    if (stats_ != nullptr) ++stats_->sequential_fallbacks;
    pos = chunks[valid].begin + chunks[valid].tokens.consumed;
    chunks.resize(valid + 1);
    while (pos < size) {
      Chunk chunk;
      chunk.begin = pos;
      chunk.size = size - pos;
      csv_internal::Tokenize(text + pos, chunk.size, static_cast<size_t>(options_.block_size_bytes),
                             eof, dialect_, num_columns_, &chunk.tokens);
      if (chunk.tokens.rows == 0 && chunk.tokens.error == TokenizeError::kNone) {
        pos += chunk.tokens.consumed;  // blank lines, then an unfinished row
        *newlines += chunk.tokens.newlines;
        break;
      }
      // Convert the columns in parallel.
      chunk.columns.resize(num_columns_);
      if (chunk.tokens.error != TokenizeError::kNone) {
        chunk.failed = true;
        chunk.fail_offset = chunk.tokens.error_offset;
      }
      std::vector<ConvertFailure> failures(num_columns_);
      const ChunkText view{text + pos, chunk.tokens.fields.data(), chunk.tokens.rows, num_columns_};
      parallel_.For(num_columns_, [&](int64_t c) {
        csv_internal::ConvertColumn(view, static_cast<int>(c), types_[c], fixed_[c], convert_,
                                    &chunk.columns[c], &failures[c]);
      });
      for (int c = 0; c < num_columns_; ++c) {
        if (failures[c].kind != ConvertFailure::Kind::kNone &&
            (!chunk.failed || failures[c].offset < chunk.fail_offset)) {
          chunk.failed = true;
          chunk.fail_offset = failures[c].offset;
          chunk.fail_column = c;
          chunk.fail_kind = failures[c].kind;
        }
      }
      if (chunk.failed) return ChunkError(text, chunk);
      pos += chunk.tokens.consumed;
      const bool partial = chunk.tokens.partial_row;
      chunks.push_back(std::move(chunk));
      if (partial) break;
    }
  }
  for (const Chunk& chunk : chunks) *newlines += chunk.tokens.newlines;
  *consumed = pos;
  if (stats_ != nullptr) stats_->chunks += static_cast<int64_t>(chunks.size());
  return MergeBatch(text, &chunks);
}

Status CsvParser::MergeBatch(const char* text, std::vector<Chunk>* chunks) {
  // The join per column over the batch, then re-conversion from the text of
  // the chunks whose values cannot be widened without it.
  std::vector<CellType> joined = types_;
  for (const Chunk& chunk : *chunks) {
    rows_ += chunk.tokens.rows;
    for (int c = 0; c < num_columns_; ++c) {
      joined[c] = csv_internal::Join(joined[c], chunk.columns[c].type);
    }
  }
  std::vector<std::pair<size_t, int>> redo;
  for (size_t k = 0; k < chunks->size(); ++k) {
    for (int c = 0; c < num_columns_; ++c) {
      if (!csv_internal::CanWidenWithoutText((*chunks)[k].columns[c].type, joined[c])) {
        redo.emplace_back(k, c);
      }
    }
  }
  std::vector<ConvertFailure> failures(redo.size());
  parallel_.For(static_cast<int64_t>(redo.size()), [&](int64_t i) {
    Chunk& chunk = (*chunks)[redo[i].first];
    const int c = redo[i].second;
    const ChunkText view{text + chunk.begin, chunk.tokens.fields.data(), chunk.tokens.rows,
                         num_columns_};
    csv_internal::ConvertColumn(view, c, joined[c], /*fixed=*/true, convert_, &chunk.columns[c],
                                &failures[i]);
  });
  for (size_t i = 0; i < redo.size(); ++i) {
    if (failures[i].kind == ConvertFailure::Kind::kNone) continue;
    Chunk& chunk = (*chunks)[redo[i].first];
    chunk.failed = true;
    chunk.fail_offset = failures[i].offset;
    chunk.fail_column = redo[i].second;
    chunk.fail_kind = failures[i].kind;
    return ChunkError(text, chunk);
  }
  types_ = joined;
  KEEL_RETURN_IF_ERROR(NoteTimestampOffsets(text, *chunks));
  for (int c = 0; c < num_columns_ && !restart_; ++c) {
    if (!csv_internal::CanWidenWithoutText(columns_[c].type(), joined[c])) restart_ = true;
  }
  if (restart_) {
    columns_.clear();
    columns_.resize(num_columns_);
  } else {
    parallel_.For(num_columns_, [&](int64_t c) {
      columns_[c].WidenTo(joined[c]);
      for (Chunk& chunk : *chunks) columns_[c].Append(&chunk.columns[c], &pool_);
    });
  }
  for (Chunk& chunk : *chunks) {
    for (ColumnChunk& column : chunk.columns) column.Release(&pool_);
    spare_tokens_.push_back(std::move(chunk.tokens));
  }
  return absl::OkStatus();
}

StatusOr<Table> CsvParser::Run(InputStream* stream, const std::vector<CellType>* forced,
                               bool* restart, std::vector<CellType>* types) {
  if (stats_ != nullptr) ++stats_->passes;
  const size_t read_bytes = std::min<size_t>(
      static_cast<size_t>(options_.block_size_bytes) * 4 * static_cast<size_t>(parallel_.threads()),
      csv_internal::kMaxReadBytes);
  BatchSource source(stream, read_bytes);
  auto next_batch = [&](std::string_view carry, Batch* batch) -> Status {
    if (carry.size() > static_cast<size_t>(options_.max_row_bytes)) {
      Tokenized probe;
      csv_internal::Tokenize(carry.data(), carry.size(), carry.size(), false, dialect_, -1, &probe);
      if (probe.partial_in_quote) {
        return ErrorAt(
            carry.data(), probe.partial_quote_offset, absl::StatusCode::kInvalidArgument,
            absl::StrCat("the quoted field opened here is not closed within "
                         "max_row_bytes (",
                         options_.max_row_bytes,
                         " bytes); close the quote (double quotes inside a quoted field: "
                         "\"\"), or raise CsvReadOptions::max_row_bytes"));
      }
      return ErrorAt(carry.data(), 0, absl::StatusCode::kInvalidArgument,
                     absl::StrCat("the row starting here is longer than max_row_bytes (",
                                  options_.max_row_bytes,
                                  " bytes); check the line breaks, or raise "
                                  "CsvReadOptions::max_row_bytes"));
    }
    StatusOr<Batch> next = source.Next(carry, carry.size() * 2);
    if (!next.ok()) {
      return Status(next.status().code(),
                    absl::StrCat(next.status().message(), " (the text read so far ends in line ",
                                 line_ + std::count(carry.begin(), carry.end(), '\n'), ")"));
    }
    *batch = *std::move(next);
    if (stats_ != nullptr) ++stats_->batches;
    return absl::OkStatus();
  };

  Batch batch;
  KEEL_RETURN_IF_ERROR(next_batch({}, &batch));
  size_t start = 0;
  if (batch.size >= 3 && std::string_view(batch.data, 3) == "\xEF\xBB\xBF") start = 3;

  // The first row: the header, or the first data row giving the width.
  while (true) {
    Tokenized first;
    csv_internal::Tokenize(batch.data + start, batch.size - start, 1, batch.eof, dialect_, -1,
                           &first);
    if (first.error != TokenizeError::kNone) {
      Chunk chunk;
      chunk.begin = 0;
      chunk.failed = true;
      chunk.fail_offset = first.error_offset;
      chunk.tokens = std::move(first);
      return ChunkError(batch.data + start, chunk);
    }
    if (first.rows == 1) {
      KEEL_RETURN_IF_ERROR(ReadHeader(first, batch.data + start));
      if (options_.has_header) {
        start += first.consumed;
        line_ += first.newlines;
      }
      break;
    }
    if (batch.eof) {
      return absl::InvalidArgumentError(
          absl::StrCat(name_,
                       ":1:1: empty input: no header line and no rows (a CSV file needs at "
                       "least a header line)"));
    }
    line_ += first.newlines;
    Batch previous = std::move(batch);
    KEEL_RETURN_IF_ERROR(next_batch(std::string_view(previous.data + start + first.consumed,
                                                     previous.size - start - first.consumed),
                                    &batch));
    start = 0;
  }
  KEEL_RETURN_IF_ERROR(SetUpTypes(forced));

  while (true) {
    const char* text = batch.data + start;
    const size_t size = batch.size - start;
    size_t consumed = 0;
    int64_t newlines = 0;
    KEEL_RETURN_IF_ERROR(ParseBatch(text, size, batch.eof, &consumed, &newlines));
    if (stream_sink_ != nullptr) {
      KEEL_RETURN_IF_ERROR(MaybeEmit(batch.eof));
      if (stopped_) break;
    }
    if (batch.eof) {
      // At the end every byte is a row, a blank line or an error.
      if (consumed != size) return absl::InternalError(name_ + ": CSV input left unparsed");
      break;
    }
    line_ += newlines;
    Batch previous = std::move(batch);
    KEEL_RETURN_IF_ERROR(
        next_batch(std::string_view(previous.data + start + consumed, size - consumed), &batch));
    source.Recycle(std::move(previous.buffer));
    start = 0;
  }
  if (stats_ != nullptr) stats_->rows = rows_;
  KEEL_RETURN_IF_ERROR(CheckTimestampOffsets());

  *restart = restart_;
  *types = types_;
  if (restart_ || stream_sink_ != nullptr) return Table();
  return FinishTable();
}

StatusOr<Table> CsvParser::FinishTable() {
  std::vector<Column> columns(num_columns_);
  parallel_.For(num_columns_, [&](int64_t c) { columns[c] = columns_[c].Finish(); });
  std::vector<Field> fields;
  for (int c = 0; c < num_columns_; ++c) {
    fields.push_back({names_[c], csv_internal::ToDataType(types_[c]), true});
  }
  KEEL_ASSIGN_OR_RETURN(Schema schema, Schema::Make(std::move(fields)));
  return Table::Make(std::move(schema), std::move(columns));
}

Status CsvParser::MaybeEmit(bool eof) {
  const int64_t pending = rows_ - emitted_rows_;
  if (pending < stream_chunk_rows_ && !(eof && (pending > 0 || emitted_chunks_ == 0))) {
    return absl::OkStatus();
  }
  // Types are fixed, so a column that saw no batch yet still gets its type.
  for (int c = 0; c < num_columns_; ++c) columns_[c].WidenTo(types_[c]);
  KEEL_ASSIGN_OR_RETURN(Table chunk, FinishTable());
  columns_.clear();
  columns_.resize(num_columns_);
  emitted_rows_ = rows_;
  ++emitted_chunks_;
  KEEL_ASSIGN_OR_RETURN(StreamControl control, (*stream_sink_)(chunk));
  stopped_ = control == StreamControl::kStop;
  return absl::OkStatus();
}

}  // namespace csv_internal

namespace {

using csv_internal::CsvParser;

constexpr int64_t kMaxRowBytesLimit = 512ll << 20;

Status ValidateOptions(const CsvReadOptions& options) {
  const char d = options.delimiter;
  if (d == '\n' || d == '\r' || d == options.quote) {
    return absl::InvalidArgumentError(
        "CsvReadOptions: the delimiter must differ from '\\n', '\\r' and the quote");
  }
  if (options.quote == '\n' || options.quote == '\r') {
    return absl::InvalidArgumentError("CsvReadOptions: the quote cannot be a line break");
  }
  if (options.block_size_bytes < 1 || options.max_row_bytes < 1 ||
      options.max_row_bytes > kMaxRowBytesLimit || options.num_threads < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CsvReadOptions: need block_size_bytes >= 1, 1 <= max_row_bytes <= ", kMaxRowBytesLimit,
        " and num_threads >= 0"));
  }
  return absl::OkStatus();
}

// Opens the input afresh for each pass.
template <typename Open>
StatusOr<Table> ReadWithPasses(const CsvReadOptions& options, const std::string& name,
                               CsvReadStats* stats, const Open& open) {
  KEEL_RETURN_IF_ERROR(ValidateOptions(options));
  if (stats != nullptr) *stats = CsvReadStats();
  std::vector<CellType> types;
  bool restart = false;
  {
    KEEL_ASSIGN_OR_RETURN(std::unique_ptr<InputStream> stream, open());
    CsvParser parser(options, name, stats);
    KEEL_ASSIGN_OR_RETURN(Table table, parser.Run(stream.get(), nullptr, &restart, &types));
    if (!restart) return table;
  }
  // A column changed type in a way that needs its earlier text: read again
  // with every type known.
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<InputStream> stream, open());
  CsvParser parser(options, name, stats);
  std::vector<CellType> final_types;
  return parser.Run(stream.get(), &types, &restart, &final_types);
}

}  // namespace

namespace csv_internal {

Status StreamCsvInput(InputStream* stream, const CsvReadOptions& options, const std::string& name,
                      int64_t chunk_rows, const CsvChunkSink& sink, CsvReadStats* stats) {
  KEEL_RETURN_IF_ERROR(ValidateOptions(options));
  if (stats != nullptr) *stats = CsvReadStats();
  CsvParser parser(options, name, stats);
  parser.SetStream(std::max<int64_t>(chunk_rows, 1), &sink);
  bool restart = false;
  std::vector<CellType> types;
  return parser.Run(stream, nullptr, &restart, &types).status();
}

}  // namespace csv_internal

StatusOr<Table> ReadCsv(const std::string& path, const CsvReadOptions& options,
                        CsvReadStats* stats) {
  return ReadWithPasses(options, path, stats, [&]() { return OpenInputFile(path); });
}

StatusOr<Table> ReadCsvFromString(std::string_view text, const CsvReadOptions& options,
                                  const std::string& name, CsvReadStats* stats) {
  return ReadWithPasses(options, name, stats, [&]() -> StatusOr<std::unique_ptr<InputStream>> {
    return OpenInputString(text, name);
  });
}

}  // namespace keel
