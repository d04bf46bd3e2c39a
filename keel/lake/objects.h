// Unstructured objects in the lake: images, text, any file, kept as they
// came with their metadata, and listed as a dataset whose table has one row
// per object.
//
//   KEEL_ASSIGN_OR_RETURN(IngestResult r, IngestObjects(*lake, "photos/", "photos", {}));
//   // r.version.format == "objects"; lake->ReadTable(r.version) lists them.
//
// The listing table's columns: path (relative to the ingested folder, '/'
// separated), size_bytes, content_type, sha256, key (the object's key in
// the lake's store), width and height (pixels, for PNG, JPEG, GIF, BMP and
// WebP images; null otherwise).
//
// Objects are stored by content (objects/sha256/<2 hex>/<sha256>), so a
// file that appears in several versions or datasets is stored once.
#ifndef KEEL_LAKE_OBJECTS_H_
#define KEEL_LAKE_OBJECTS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "keel/base/progress.h"
#include "keel/base/status.h"
#include "keel/lake/lake.h"

namespace keel {

// What the first bytes of a file (and its name, as a fallback) say it is.
struct ContentInfo {
  std::string content_type;  // a MIME type; application/octet-stream if unknown
  int64_t width = -1;        // pixels; -1 when not an image or unreadable
  int64_t height = -1;
};

// Magic numbers first (PNG, JPEG, GIF, WebP, BMP, PDF, gzip, zstd, zip,
// Parquet), then the file extension, then "text/plain" for NUL-free valid
// UTF-8, else application/octet-stream. `head` should hold the file's first
// 256 KiB (a JPEG's size can sit behind large metadata).
ContentInfo SniffContent(std::string_view head, std::string_view file_name);

struct ObjectIngestOptions {
  ProgressOptions progress{.mode = ProgressMode::kOff};
};

// Ingests `source` (a local file or folder, or a file:// URI; a folder is
// walked recursively, skipping names that start with '.') as a dataset of
// objects. The version id is a hash of the sorted (path, sha256) pairs:
// the same files give the same version ("unchanged"). Errors:
// InvalidArgument for a bad name or an empty folder; NotFound for a missing
// source; store and registry errors. Nothing is recorded unless every
// object was stored.
StatusOr<IngestResult> IngestObjects(Lake& lake, std::string_view source, std::string_view name,
                                     const ObjectIngestOptions& options);

// The bytes of the object at `path` in an objects dataset version. Errors:
// InvalidArgument when the version is not an objects dataset; NotFound for
// a path it does not list (with the closest paths).
StatusOr<std::string> ReadObject(Lake& lake, const DatasetVersionRecord& version,
                                 std::string_view path);

}  // namespace keel

#endif  // KEEL_LAKE_OBJECTS_H_
