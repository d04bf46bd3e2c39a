// Local file helpers shared by every module: whole-file reads, atomic writes
// (temp file, fsync, rename, fsync of the directory) and errno -> Status.
#ifndef KEEL_BASE_FILES_H_
#define KEEL_BASE_FILES_H_

#include <cstdint>
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

// Writes a file as a stream and makes it appear atomically: bytes go to a
// temporary file beside `path`; Commit() fsyncs it, renames it over `path`
// and fsyncs the folder. Destroying an uncommitted writer removes the
// temporary file, so a failure or crash never leaves a partial `path`.
// Not thread-safe. Movable.
class AtomicFileWriter {
 public:
  // Errors: the parent folder is missing (NotFound) or not writable.
  static StatusOr<AtomicFileWriter> Create(const std::string& path);
  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&& other) noexcept;
  ~AtomicFileWriter();

  Status Append(std::string_view data);
  Status Commit();
  // Bytes appended so far.
  int64_t size() const { return size_; }

 private:
  AtomicFileWriter() = default;
  void Abandon();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  int64_t size_ = 0;
};

// True for the temporary names AtomicFileWriter uses beside its target
// ("<name>.tmp-<pid>-<random>"), so listings can skip what a writer that died
// left behind.
bool IsAtomicTempFileName(std::string_view file_name);

// Creates `path` and its missing parents (like `mkdir -p`).
Status MakeDirs(const std::string& path);

bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);

}  // namespace keel

#endif  // KEEL_BASE_FILES_H_
