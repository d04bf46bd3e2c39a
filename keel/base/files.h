// Local file helpers shared by every module: whole-file reads, atomic writes
// (temp file, fsync, rename, fsync of the directory) and errno -> Status.
#ifndef KEEL_BASE_FILES_H_
#define KEEL_BASE_FILES_H_

#include <string>
#include <string_view>

#include "keel/base/status.h"

namespace keel {

// Maps an errno value to the matching absl code (ENOENT -> NotFound,
// EACCES -> PermissionDenied, ENOSPC -> ResourceExhausted, ...) with the
// message "<context>: <strerror>".
Status ErrnoToStatus(int errno_value, std::string_view context);

// Reads the whole file. Errors name the path.
StatusOr<std::string> ReadFile(const std::string& path);

// Replaces `path` with `contents` atomically: readers see the old file or the
// new one, never a mix, and a crash leaves the old file intact. The temporary
// file lives beside `path` and is removed on failure. Parent directories must
// exist.
Status WriteFileAtomic(const std::string& path, std::string_view contents);

// Creates `path` and its missing parents (like `mkdir -p`).
Status MakeDirs(const std::string& path);

bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);

}  // namespace keel

#endif  // KEEL_BASE_FILES_H_
