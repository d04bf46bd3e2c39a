#include "keel/storage/local_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "keel/base/files.h"

namespace keel {
namespace {

constexpr size_t kCopyChunkBytes = size_t{1} << 20;

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status ObjectNotFound() { return absl::NotFoundError("no such object"); }

bool IsMissing(int e) { return e == ENOENT || e == ENOTDIR; }

ObjectInfo InfoFromStat(std::string key, const struct stat& st) {
  ObjectInfo info;
  info.key = std::move(key);
  info.size_bytes = st.st_size;
  const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  info.mtime_us = mtime_ns / 1000;
  info.etag = absl::StrCat(absl::Hex(st.st_ino), "-", absl::Hex(mtime_ns), "-",
                           absl::Hex(static_cast<uint64_t>(st.st_size)));
  return info;
}

// Opens an object for reading: NotFound when missing or a directory.
StatusOr<int> OpenObject(const std::string& path, struct stat* st) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (IsMissing(errno)) return ObjectNotFound();
    return ErrnoToStatus(errno, "opening");
  }
  if (::fstat(fd, st) != 0) {
    const int saved = errno;
    ::close(fd);
    return ErrnoToStatus(saved, "stat");
  }
  if (!S_ISREG(st->st_mode)) {
    ::close(fd);
    return ObjectNotFound();
  }
  return fd;
}

// Reads up to `length` bytes at `offset`; fewer only at end of file.
Status PreadAll(int fd, int64_t offset, size_t length, std::string* out) {
  out->resize(length);
  size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd, out->data() + done, length - done, offset + done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "reading");
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out->resize(done);
  return absl::OkStatus();
}

// Copies the rest of `fd` into `writer`; `what` names the source in errors.
Status CopyToWriter(int fd, AtomicFileWriter& writer, const std::string& what) {
  std::string buffer(kCopyChunkBytes, '\0');
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, absl::StrCat("reading ", what));
    }
    if (n == 0) return absl::OkStatus();
    KEEL_RETURN_IF_ERROR(writer.Append(std::string_view(buffer.data(), static_cast<size_t>(n))));
  }
}

}  // namespace

StatusOr<std::unique_ptr<LocalStore>> LocalStore::Open(const std::string& root) {
  std::error_code ec;
  std::filesystem::path path = std::filesystem::absolute(root, ec);
  if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("resolving directory ", root));
  path = path.lexically_normal();
  std::string dir = path.string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (PathExists(dir) && !IsDirectory(dir)) {
    return absl::FailedPreconditionError(
        absl::StrCat("object store root ", dir, " exists and is not a directory"));
  }
  KEEL_RETURN_IF_ERROR(MakeDirs(dir));
  return std::unique_ptr<LocalStore>(new LocalStore(std::move(dir)));
}

LocalStore::LocalStore(std::string root)
    : ObjectStore(absl::StrCat("file://", root)), root_(std::move(root)) {}

StatusOr<std::string> LocalStore::PathFor(const std::string& key) const {
  const size_t slash = key.rfind('/');
  const std::string_view name =
      slash == std::string::npos ? std::string_view(key) : std::string_view(key).substr(slash + 1);
  if (IsAtomicTempFileName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid object key '", key,
        "': names ending in '.tmp-<digits>-<digits>' are reserved for temporary files"));
  }
  return absl::StrCat(root_, "/", key);
}

StatusOr<std::optional<std::string>> LocalStore::LocalFilePathImpl(const std::string& key,
                                                                   bool for_write) {
  if (for_write) return PrepareWrite(key);
  return PathFor(key);
}

StatusOr<std::string> LocalStore::PrepareWrite(const std::string& key) const {
  KEEL_ASSIGN_OR_RETURN(std::string path, PathFor(key));
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    if (ec.value() == EEXIST || ec.value() == ENOTDIR) {
      return absl::FailedPreconditionError(
          "cannot create the key's directory: a parent key is an object");
    }
    return ErrnoToStatus(ec.value(), absl::StrCat("creating directory ", parent.string()));
  }
  if (IsDirectory(path)) {
    return absl::FailedPreconditionError(
        "the key is a directory of other objects (a key cannot be both)");
  }
  return path;
}

Status LocalStore::PutImpl(const std::string& key, std::string_view bytes) {
  KEEL_ASSIGN_OR_RETURN(std::string path, PrepareWrite(key));
  return WriteFileAtomic(path, bytes);
}

Status LocalStore::PutFileImpl(const std::string& key, const std::string& local_path) {
  const Fd source(::open(local_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (source.get() < 0) return ErrnoToStatus(errno, local_path);
  struct stat st {};
  if (::fstat(source.get(), &st) != 0) return ErrnoToStatus(errno, local_path);
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(local_path, " is a directory"));
  }
  KEEL_ASSIGN_OR_RETURN(std::string path, PrepareWrite(key));
  KEEL_ASSIGN_OR_RETURN(AtomicFileWriter writer, AtomicFileWriter::Create(path));
  KEEL_RETURN_IF_ERROR(CopyToWriter(source.get(), writer, local_path));
  return writer.Commit();
}

StatusOr<std::string> LocalStore::GetImpl(const std::string& key) {
  KEEL_ASSIGN_OR_RETURN(std::string path, PathFor(key));
  struct stat st {};
  KEEL_ASSIGN_OR_RETURN(const int raw_fd, OpenObject(path, &st));
  const Fd fd(raw_fd);
  std::string out;
  // `st` describes the version this descriptor opened, even if a writer has
  // renamed a new one into place since.
  KEEL_RETURN_IF_ERROR(PreadAll(fd.get(), 0, static_cast<size_t>(st.st_size), &out));
  return out;
}

StatusOr<std::string> LocalStore::GetRangeImpl(const std::string& key, int64_t offset,
                                               int64_t length) {
  KEEL_ASSIGN_OR_RETURN(std::string path, PathFor(key));
  struct stat st {};
  KEEL_ASSIGN_OR_RETURN(const int raw_fd, OpenObject(path, &st));
  const Fd fd(raw_fd);
  if (offset >= st.st_size) {
    return absl::OutOfRangeError(absl::StrCat("range starts at byte ", offset,
                                              " but the object has ", st.st_size, " bytes"));
  }
  const int64_t n = std::min<int64_t>(length, st.st_size - offset);
  std::string out;
  KEEL_RETURN_IF_ERROR(PreadAll(fd.get(), offset, static_cast<size_t>(n), &out));
  return out;
}

Status LocalStore::GetToFileImpl(const std::string& key, const std::string& local_path) {
  KEEL_ASSIGN_OR_RETURN(std::string path, PathFor(key));
  struct stat st {};
  KEEL_ASSIGN_OR_RETURN(const int raw_fd, OpenObject(path, &st));
  const Fd fd(raw_fd);
  KEEL_ASSIGN_OR_RETURN(AtomicFileWriter writer, AtomicFileWriter::Create(local_path));
  KEEL_RETURN_IF_ERROR(CopyToWriter(fd.get(), writer, path));
  return writer.Commit();
}

StatusOr<ObjectInfo> LocalStore::StatImpl(const std::string& key) {
  KEEL_ASSIGN_OR_RETURN(std::string path, PathFor(key));
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (IsMissing(errno)) return ObjectNotFound();
    return ErrnoToStatus(errno, "stat");
  }
  if (!S_ISREG(st.st_mode)) return ObjectNotFound();
  return InfoFromStat(key, st);
}

Status LocalStore::DeleteImpl(const std::string& key) {
  KEEL_ASSIGN_OR_RETURN(std::string path, PathFor(key));
  if (::unlink(path.c_str()) != 0) {
    // A missing object, or a directory (which is not an object): nothing to do.
    if (IsMissing(errno) || errno == EISDIR) return absl::OkStatus();
    return ErrnoToStatus(errno, "deleting");
  }
  return absl::OkStatus();
}

StatusOr<std::vector<ObjectInfo>> LocalStore::ListImpl(const std::string& prefix) {
  // Walk only the directory the prefix lies in: "a/b/c" -> "<root>/a/b".
  const size_t slash = prefix.rfind('/');
  const std::string dir_key = slash == std::string::npos ? "" : prefix.substr(0, slash + 1);
  const std::string start = dir_key.empty() ? root_ : absl::StrCat(root_, "/", dir_key);
  std::vector<ObjectInfo> out;
  if (!IsDirectory(start)) return out;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(start, ec), end;
  if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("listing ", start));
  for (; it != end; it.increment(ec)) {
    if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("listing ", start));
    const std::filesystem::path& path = it->path();
    if (IsAtomicTempFileName(path.filename().native())) continue;
    struct stat st {};
    // The file may vanish between the listing and stat (a concurrent Delete).
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    std::string key = absl::StrCat(dir_key, path.lexically_relative(start).generic_string());
    if (!absl::StartsWith(key, prefix)) continue;
    out.push_back(InfoFromStat(std::move(key), st));
  }
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

}  // namespace keel
