// Object storage chosen by URI scheme: the ObjectStore interface that every
// back-end implements, the options they read, and the registry that opens a
// store from "file:///abs/dir", "file://rel/dir", a bare path or
// "s3://bucket/prefix".
//
//   KEEL_ASSIGN_OR_RETURN(auto store, OpenObjectStore(".keel/lake", OptionsFromEnv()));
//   KEEL_RETURN_IF_ERROR(store->Put("datasets/txns/v1/data.csv", bytes));
#ifndef KEEL_STORAGE_OBJECT_STORE_H_
#define KEEL_STORAGE_OBJECT_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/config.h"
#include "keel/base/status.h"

namespace keel {

// Settings of every back-end; each reads the fields it knows. The config
// layer fills this from keel.yaml; OptionsFromEnv() from AWS_* variables.
struct ObjectStoreOptions {
  // S3 endpoint with scheme: "http://127.0.0.1:9000", "https://minio.corp".
  // Empty means AWS: https://s3.<region>.amazonaws.com.
  std::string endpoint;
  std::string region = "us-east-1";
  // S3 addressing: true puts the bucket in the path (http://host/bucket/key).
  // When false, the bucket goes in the host name (http://bucket.host/key),
  // except for endpoints whose host is an IP address or "localhost", which
  // always get path-style.
  bool path_style = false;
  // Credentials. Both empty: anonymous, unsigned requests (public buckets).
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials only

  // Network limits. A request that moves no byte for `idle_timeout_ms`
  // (whole seconds, rounded up) fails with DeadlineExceeded, as does one that
  // takes longer than `request_timeout_ms` overall (0: no overall limit, so
  // large transfers may take as long as they need).
  int64_t connect_timeout_ms = 10'000;
  int64_t idle_timeout_ms = 60'000;
  int64_t request_timeout_ms = 0;
  // Attempts for a request that failed in a retryable way (connection
  // failure, HTTP 500/502/503/504, 429 SlowDown), with exponential back-off.
  int max_attempts = 3;

  // PutFile sends files larger than this as an S3 multipart upload, in parts
  // of `multipart_part_size_bytes` (at least 5 MiB, S3's minimum; grown
  // automatically when a file would need more than 10,000 parts).
  int64_t multipart_threshold_bytes = int64_t{64} << 20;
  int64_t multipart_part_size_bytes = int64_t{16} << 20;
  // Keys per S3 ListObjectsV2 page (1..1000); List() fetches every page.
  int list_page_size = 1000;
};

// `defaults` overridden by the variables that are set: AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (else
// AWS_DEFAULT_REGION), AWS_ENDPOINT_URL_S3 (else AWS_ENDPOINT_URL) and
// AWS_S3_USE_PATH_STYLE ("true"/"1" or "false"/"0"). Reads the environment;
// thread-safe as long as nothing calls setenv concurrently.
ObjectStoreOptions OptionsFromEnv(const ObjectStoreOptions& defaults = {});

// Options for a workspace: OptionsFromEnv(), then every storage.s3.* setting
// that keel.yaml or a KEEL_* variable set (settings left at their default do
// not override AWS_* variables). So: default < AWS_* < keel.yaml < KEEL_*.
ObjectStoreOptions OptionsFromConfig(const Config& config);

// What a store knows about one object.
struct ObjectInfo {
  std::string key;  // relative to the store's root
  int64_t size_bytes = 0;
  // Opaque change token: S3's ETag without quotes (an MD5 for single-part
  // uploads); for local files "<inode>-<mtime ns>-<size>" in hex. Changes
  // whenever the object is replaced; not a content hash to compare across
  // back-ends.
  std::string etag;
  int64_t mtime_us = 0;  // last modification, microseconds since the Unix epoch
};

// Rules for keys, the same for every back-end: 1 to 1024 bytes; segments
// separated by '/', none empty, "." or ".."; no leading or trailing '/'; no
// NUL or other control character. Errors: InvalidArgument naming the key and
// the rule it breaks.
Status ValidateObjectKey(std::string_view key);
// A List() prefix: empty, or a key prefix that may end with '/', with the
// same rules otherwise ("a/b/" and "a/b" are both fine; "../" is not).
Status ValidateListPrefix(std::string_view prefix);

// A bucket of bytes addressed by key, rooted at a URI. Objects are written
// whole: a reader sees the old object or the complete new one, never a part,
// and a write that fails (or a process that dies mid-write) leaves the
// previous object intact. Concurrent writers of one key: the last to finish
// wins.
//
// Thread safety: every method may be called from any thread at once.
//
// Errors, common to all methods and back-ends, each message starting with
// Uri(key): InvalidArgument for a key breaking ValidateObjectKey(); NotFound
// for a missing object; PermissionDenied (S3 403, EACCES); Unavailable when
// the server cannot be reached (after retries); DeadlineExceeded for a
// timeout; Internal for anything unexpected. A local file named by the
// caller (PutFile, GetToFile) appears in the message as well.
class ObjectStore {
 public:
  virtual ~ObjectStore();
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // The URI the store was opened at, normalised: "file:///abs/dir",
  // "s3://bucket" or "s3://bucket/prefix".
  const std::string& root_uri() const { return root_uri_; }
  // Where `key` lives, for messages: root_uri() + "/" + key.
  std::string Uri(std::string_view key) const;

  // Creates or replaces the object.
  Status Put(std::string_view key, std::string_view bytes);
  // Creates or replaces the object with the file's contents, streamed (S3:
  // multipart above the threshold). Errors also name `local_path`.
  Status PutFile(std::string_view key, const std::string& local_path);

  StatusOr<std::string> Get(std::string_view key);
  // Bytes [offset, offset + length) of the object, fewer when it ends first.
  // Errors: InvalidArgument for a negative offset or length; OutOfRange when
  // length > 0 and offset >= the object's size.
  StatusOr<std::string> GetRange(std::string_view key, int64_t offset, int64_t length);
  // Streams the object into `local_path`, replacing that file atomically;
  // its directory must exist. On failure the file is left as it was.
  Status GetToFile(std::string_view key, const std::string& local_path);

  StatusOr<ObjectInfo> Stat(std::string_view key);
  // False, not NotFound, for a missing object.
  StatusOr<bool> Exists(std::string_view key);
  // Removes the object; removing a missing object succeeds.
  Status Delete(std::string_view key);
  // Every object whose key starts with `prefix` (a plain string prefix, not a
  // directory: "a/b" matches "a/b.csv" and "a/b/c"), sorted by key bytes.
  // Pages are fetched internally.
  StatusOr<std::vector<ObjectInfo>> List(std::string_view prefix = "");

  // The file that holds `key` when the store is a folder on the local disk
  // (file://), nullopt for a remote store. With `for_write`, the file's
  // parent folders are created. Lets a caller memory-map an object, or
  // stream one in with its own atomic writer (temporary file, fsync,
  // rename: keel/base/files.h AtomicFileWriter) rather than build it in
  // memory for Put. Stores that wrap another (ForwardingObjectStore) answer
  // nullopt, so that every access goes through them.
  StatusOr<std::optional<std::string>> LocalFilePath(std::string_view key, bool for_write = false);

 protected:
  explicit ObjectStore(std::string root_uri);

  // Back-ends implement these. Keys and prefixes are already validated;
  // messages need not name the URI (the public method puts it in front).
  virtual Status PutImpl(const std::string& key, std::string_view bytes) = 0;
  virtual Status PutFileImpl(const std::string& key, const std::string& local_path) = 0;
  virtual StatusOr<std::string> GetImpl(const std::string& key) = 0;
  // offset >= 0, length > 0.
  virtual StatusOr<std::string> GetRangeImpl(const std::string& key, int64_t offset,
                                             int64_t length) = 0;
  virtual Status GetToFileImpl(const std::string& key, const std::string& local_path) = 0;
  virtual StatusOr<ObjectInfo> StatImpl(const std::string& key) = 0;
  virtual Status DeleteImpl(const std::string& key) = 0;
  virtual StatusOr<std::vector<ObjectInfo>> ListImpl(const std::string& prefix) = 0;
  virtual StatusOr<std::optional<std::string>> LocalFilePathImpl(const std::string& key,
                                                                 bool for_write) {
    return std::nullopt;
  }

 private:
  const std::string root_uri_;
};

// A URI split into the parts the back-ends need.
//   "s3://bucket/a/b"   -> {scheme "s3", authority "bucket", path "a/b"}
//   "file:///data/lake" -> {scheme "file", authority "", path "/data/lake"}
//   "file://rel/dir"    -> {scheme "file", path "rel/dir"}
//   ".keel/lake"        -> {scheme "file", path ".keel/lake"}  (no "://")
struct StorageUri {
  std::string text;       // as given
  std::string scheme;     // lowercase
  std::string authority;  // bucket, for schemes other than file
  std::string path;       // trailing '/' removed (except a lone "/")
};
// Errors: InvalidArgument for an empty URI, an empty path, a malformed
// scheme, or a missing bucket ("s3:///x").
StatusOr<StorageUri> ParseStorageUri(std::string_view uri);

using ObjectStoreFactory = std::function<StatusOr<std::unique_ptr<ObjectStore>>(
    const StorageUri& uri, const ObjectStoreOptions& options)>;

// Back-ends by URI scheme. Register() is not thread-safe; Open() and
// Schemes() are, once registration is over.
class ObjectStoreRegistry {
 public:
  // Adds or replaces the factory for `scheme` (lowercase, e.g. "s3").
  void Register(std::string scheme, ObjectStoreFactory factory);
  // Registered schemes, sorted.
  std::vector<std::string> Schemes() const;
  // Errors: InvalidArgument for a malformed URI or an unknown scheme
  // ("unknown storage scheme 'gs' in 'gs://x'; known: file, s3"), else what
  // the back-end's factory returns.
  StatusOr<std::unique_ptr<ObjectStore>> Open(std::string_view uri,
                                              const ObjectStoreOptions& options) const;

  // The registry holding the built-in back-ends (RegisterBuiltinObjectStores),
  // built on first use.
  static const ObjectStoreRegistry& Builtins();

 private:
  std::map<std::string, ObjectStoreFactory, std::less<>> factories_;
};

// Registers file and s3 (register_builtins.cc).
void RegisterBuiltinObjectStores(ObjectStoreRegistry& registry);

// ObjectStoreRegistry::Builtins().Open(uri, options).
StatusOr<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view uri,
                                                       const ObjectStoreOptions& options = {});

}  // namespace keel

#endif  // KEEL_STORAGE_OBJECT_STORE_H_
