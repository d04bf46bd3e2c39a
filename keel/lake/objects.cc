#include "keel/lake/objects.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "keel/base/files.h"
#include "keel/base/hash.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/base/workspace.h"
#include "keel/lake/table_object.h"
#include "keel/table/column.h"
#include "keel/table/utf8.h"

namespace keel {
namespace {

namespace fs = std::filesystem;

// Bumped if the recipe below ever changes, so old and new ids never collide.
constexpr char kObjectsRecipe[] = "keel-objects-version-1";
constexpr size_t kSniffBytes = 256 * 1024;

uint32_t BigEndian32(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3]));
}
uint32_t BigEndian16(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1]));
}
uint32_t LittleEndian16(std::string_view b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8);
}
uint32_t LittleEndian24(std::string_view b, size_t at) {
  return LittleEndian16(b, at) | (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 16);
}
uint32_t LittleEndian32(std::string_view b, size_t at) {
  return LittleEndian16(b, at) | (LittleEndian16(b, at + 2) << 16);
}

// A JPEG's size is in its start-of-frame segment (SOF0..SOF15 except DHT,
// JPG and DAC); the segments before it are skipped by their lengths.
void JpegSize(std::string_view b, ContentInfo* info) {
  size_t at = 2;
  while (at + 4 <= b.size()) {
    if (static_cast<uint8_t>(b[at]) != 0xFF) return;
    const uint8_t marker = static_cast<uint8_t>(b[at + 1]);
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      at += 2;  // markers without a length
      continue;
    }
    const uint32_t length = BigEndian16(b, at + 2);
    const bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (at + 9 > b.size()) return;
      info->height = BigEndian16(b, at + 5);
      info->width = BigEndian16(b, at + 7);
      return;
    }
    if (length < 2) return;
    at += 2 + length;
  }
}

void WebpSize(std::string_view b, ContentInfo* info) {
  if (b.size() < 30) return;
  const std::string_view chunk = b.substr(12, 4);
  if (chunk == "VP8 " && static_cast<uint8_t>(b[23]) == 0x9D) {
    info->width = LittleEndian16(b, 26) & 0x3FFF;
    info->height = LittleEndian16(b, 28) & 0x3FFF;
  } else if (chunk == "VP8L" && static_cast<uint8_t>(b[20]) == 0x2F) {
    const uint32_t bits = LittleEndian32(b, 21);
    info->width = (bits & 0x3FFF) + 1;
    info->height = ((bits >> 14) & 0x3FFF) + 1;
  } else if (chunk == "VP8X") {
    info->width = LittleEndian24(b, 24) + 1;
    info->height = LittleEndian24(b, 27) + 1;
  }
}

bool StartsWith(std::string_view b, std::string_view prefix) {
  return b.size() >= prefix.size() && b.substr(0, prefix.size()) == prefix;
}

std::string_view TypeFromExtension(std::string_view file_name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".txt", "text/plain"},
      {".csv", "text/csv"},
      {".tsv", "text/tab-separated-values"},
      {".json", "application/json"},
      {".jsonl", "application/x-ndjson"},
      {".ndjson", "application/x-ndjson"},
      {".md", "text/markdown"},
      {".html", "text/html"},
      {".htm", "text/html"},
      {".xml", "application/xml"},
      {".yaml", "application/yaml"},
      {".yml", "application/yaml"},
      {".svg", "image/svg+xml"},
      {".tif", "image/tiff"},
      {".tiff", "image/tiff"},
      {".wav", "audio/wav"},
      {".mp3", "audio/mpeg"},
      {".flac", "audio/flac"},
      {".mp4", "video/mp4"},
      {".webm", "video/webm"},
      {".npy", "application/x-npy"},
  };
  const size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return {};
  const std::string extension = absl::AsciiStrToLower(std::string(file_name.substr(dot)));
  for (const auto& [ext, type] : kTypes) {
    if (extension == ext) return type;
  }
  return {};
}

}  // namespace

ContentInfo SniffContent(std::string_view b, std::string_view file_name) {
  ContentInfo info;
  if (StartsWith(b, "\x89PNG\r\n\x1a\n")) {
    info.content_type = "image/png";
    if (b.size() >= 24 && b.substr(12, 4) == "IHDR") {
      info.width = BigEndian32(b, 16);
      info.height = BigEndian32(b, 20);
    }
  } else if (StartsWith(b, "\xFF\xD8\xFF")) {
    info.content_type = "image/jpeg";
    JpegSize(b, &info);
  } else if (StartsWith(b, "GIF87a") || StartsWith(b, "GIF89a")) {
    info.content_type = "image/gif";
    if (b.size() >= 10) {
      info.width = LittleEndian16(b, 6);
      info.height = LittleEndian16(b, 8);
    }
  } else if (StartsWith(b, "RIFF") && b.size() >= 12 && b.substr(8, 4) == "WEBP") {
    info.content_type = "image/webp";
    WebpSize(b, &info);
  } else if (StartsWith(b, "BM") && b.size() >= 26 && LittleEndian32(b, 14) >= 40) {
    info.content_type = "image/bmp";
    info.width = static_cast<int32_t>(LittleEndian32(b, 18));
    info.height = std::abs(static_cast<int32_t>(LittleEndian32(b, 22)));  // negative: top-down
  } else if (StartsWith(b, "%PDF-")) {
    info.content_type = "application/pdf";
  } else if (StartsWith(b, "\x1f\x8b")) {
    info.content_type = "application/gzip";
  } else if (StartsWith(b, "\x28\xb5\x2f\xfd")) {
    info.content_type = "application/zstd";
  } else if (StartsWith(b, "PK\x03\x04")) {
    info.content_type = "application/zip";
  } else if (StartsWith(b, "PAR1")) {
    info.content_type = "application/vnd.apache.parquet";
  } else if (std::string_view by_name = TypeFromExtension(file_name); !by_name.empty()) {
    info.content_type = std::string(by_name);
  } else {
    // Text when valid UTF-8 without NUL; a multi-byte character cut at the
    // end of `head` does not count against it.
    std::string_view text = b.substr(0, b.size() >= kSniffBytes ? b.size() - 4 : b.size());
    const bool text_like = text.find('\0') == std::string_view::npos && IsValidUtf8(text);
    info.content_type = text_like ? "text/plain" : "application/octet-stream";
  }
  if (info.width <= 0 || info.height <= 0) info.width = info.height = -1;
  return info;
}

namespace {

struct Entry {
  std::string path;        // relative, '/'-separated
  std::string local_path;  // on disk
  int64_t size = 0;
  std::string sha256;
  ContentInfo content;
};

std::string ObjectKey(const std::string& sha256) {
  return absl::StrCat("objects/sha256/", sha256.substr(0, 2), "/", sha256);
}

bool Hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

StatusOr<std::vector<Entry>> ListFiles(const std::string& root) {
  std::error_code ec;
  const fs::file_status status = fs::status(root, ec);
  if (ec || !fs::exists(status)) {
    return absl::NotFoundError(absl::StrCat(root, ": no such file or folder"));
  }
  std::vector<Entry> entries;
  if (fs::is_regular_file(status)) {
    entries.push_back({.path = fs::path(root).filename().string(), .local_path = root});
    return entries;
  }
  if (!fs::is_directory(status)) {
    return absl::InvalidArgumentError(absl::StrCat(root, " is neither a file nor a folder"));
  }
  fs::recursive_directory_iterator it(root, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (Hidden(it->path())) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    entries.push_back({.path = fs::relative(it->path(), root, ec).generic_string(),
                       .local_path = it->path().string()});
  }
  if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("listing ", root));
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.path < b.path; });
  return entries;
}

Status Describe(Entry& entry) {
  std::ifstream in(entry.local_path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(entry.local_path, ": cannot open"));
  std::string head(kSniffBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  entry.content = SniffContent(head, entry.path);
  std::error_code ec;
  entry.size = static_cast<int64_t>(fs::file_size(entry.local_path, ec));
  if (ec) return ErrnoToStatus(ec.value(), entry.local_path);
  KEEL_ASSIGN_OR_RETURN(entry.sha256, Sha256HexOfFile(entry.local_path));
  return absl::OkStatus();
}

StatusOr<Table> ListingTable(const std::vector<Entry>& entries) {
  ColumnBuilder path(DataType::kString), size(DataType::kInt64), type(DataType::kString),
      sha(DataType::kString), key(DataType::kString), width(DataType::kInt64),
      height(DataType::kInt64);
  for (const Entry& e : entries) {
    path.AppendString(e.path);
    size.AppendInt64(e.size);
    type.AppendString(e.content.content_type);
    sha.AppendString(e.sha256);
    key.AppendString(ObjectKey(e.sha256));
    if (e.content.width > 0) {
      width.AppendInt64(e.content.width);
      height.AppendInt64(e.content.height);
    } else {
      width.AppendNull();
      height.AppendNull();
    }
  }
  return Table::Make({"path", "size_bytes", "content_type", "sha256", "key", "width", "height"},
                     {path.Finish(), size.Finish(), type.Finish(), sha.Finish(), key.Finish(),
                      width.Finish(), height.Finish()});
}

}  // namespace

StatusOr<IngestResult> IngestObjects(Lake& lake, std::string_view source, std::string_view name,
                                     const ObjectIngestOptions& options) {
  KEEL_RETURN_IF_ERROR(ValidateDatasetName(name));
  std::string root(source);
  if (source.find("://") != std::string_view::npos) {
    KEEL_ASSIGN_OR_RETURN(StorageUri uri, ParseStorageUri(source));
    if (uri.scheme != "file") {
      return absl::InvalidArgumentError(
          absl::StrCat("objects are ingested from local files or folders; '", std::string(source),
                       "' is a ", uri.scheme, ":// URI: copy the objects to a local folder first"));
    }
    root = uri.path;
  }
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  KEEL_ASSIGN_OR_RETURN(std::vector<Entry> entries, ListFiles(root));
  if (entries.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(root, " holds no files to ingest (names starting with '.' are skipped)"));
  }
  int64_t total = 0;
  for (const Entry& e : entries) {
    std::error_code ec;
    total += static_cast<int64_t>(fs::file_size(e.local_path, ec));
  }
  // One pass to hash and one to store: half the bytes each.
  Progress progress(absl::StrCat("ingest ", std::string(name)), 2 * total, "bytes",
                    options.progress);
  std::string listing;
  for (Entry& e : entries) {
    KEEL_RETURN_IF_ERROR(Describe(e));
    absl::StrAppend(&listing, e.path, "\t", e.sha256, "\n");
    progress.Add(e.size);
  }

  IngestResult result;
  DatasetVersionRecord& v = result.version;
  v.dataset = std::string(name);
  v.format = "objects";
  v.parse_options_json = "{}";
  v.raw_sha256 = Sha256Hex(listing);
  v.version = Sha256Hex(absl::StrCat(kObjectsRecipe, "\n", listing));
  KEEL_ASSIGN_OR_RETURN(std::vector<DatasetVersionRecord> existing,
                        lake.registry().FindDatasetVersions(name, v.version));
  if (!existing.empty()) {
    result.version = existing.front();
    KEEL_ASSIGN_OR_RETURN(result.schema, SchemaFromJson(result.version.schema_json));
    result.unchanged = true;
    progress.Set(2 * total);
    progress.Finish();
    return result;
  }

  // Store each distinct content once, across versions and datasets.
  std::set<std::string> stored;
  for (const Entry& e : entries) {
    const std::string key = ObjectKey(e.sha256);
    if (stored.insert(key).second) {
      KEEL_ASSIGN_OR_RETURN(bool exists, lake.store().Exists(key));
      if (!exists) KEEL_RETURN_IF_ERROR(lake.store().PutFile(key, e.local_path));
      v.raw_keys.push_back(key);
    }
    v.raw_size_bytes += e.size;
    progress.Add(e.size);
  }
  KEEL_ASSIGN_OR_RETURN(Table table, ListingTable(entries));
  v.table_key = absl::StrCat("datasets/", v.dataset, "/", v.version, "/table.kcol");
  KEEL_RETURN_IF_ERROR(PutTableObject(lake.store(), v.table_key, table, lake.table_compression()));

  v.created_at_us = NowMicros();
  v.source = std::string(source);
  v.row_count = table.num_rows();
  v.schema_json = SchemaToJson(table.schema());
  result.schema = table.schema();
  KEEL_ASSIGN_OR_RETURN(bool added, lake.registry().AddDatasetVersion(v));
  result.unchanged = !added;
  progress.Finish();
  return result;
}

StatusOr<std::string> ReadObject(Lake& lake, const DatasetVersionRecord& version,
                                 std::string_view path) {
  if (version.format != "objects") {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset ", version.dataset, " is a ", version.format,
        " table, not a dataset of objects: read it with `keel datasets head` or export"));
  }
  KEEL_ASSIGN_OR_RETURN(Table table, lake.ReadTable(version));
  KEEL_ASSIGN_OR_RETURN(Column paths, table.ColumnByName("path"));
  KEEL_ASSIGN_OR_RETURN(Column keys, table.ColumnByName("key"));
  std::vector<std::string> all;
  for (int64_t i = 0; i < paths.length(); ++i) {
    if (paths.StringAt(i) == path) return lake.store().Get(std::string(keys.StringAt(i)));
    all.emplace_back(paths.StringAt(i));
  }
  return absl::NotFoundError(absl::StrCat("dataset ", version.dataset, "@",
                                          ShortVersion(version.version), " has no object '",
                                          std::string(path), "'.", DidYouMean(path, all)));
}

}  // namespace keel
