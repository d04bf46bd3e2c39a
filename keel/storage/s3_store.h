// The S3 back-end: objects in a bucket of any S3-protocol server (AWS,
// MinIO, Ceph, s3rver...), requests signed with SigV4 (sigv4.h) and sent
// over libcurl (http_client.h).
#ifndef KEEL_STORAGE_S3_STORE_H_
#define KEEL_STORAGE_S3_STORE_H_

#include <memory>
#include <string>

#include "keel/storage/http_client.h"
#include "keel/storage/object_store.h"
#include "keel/storage/sigv4.h"

namespace keel {

// ObjectStore over S3; see ObjectStore for the contract. Thread-safe;
// connections are kept alive and reused between calls.
//
// Specific to this back-end:
// - Put() is one PUT request. PutFile() reads a file of up to
//   options.multipart_threshold_bytes into memory and PUTs it; a larger one
//   goes up as a multipart upload, one part in memory at a time.
//   A failed multipart upload is aborted and the previous object stays.
// - Error messages carry the HTTP status and S3's code and message:
//   "s3://bucket/key: 403 SignatureDoesNotMatch: The request signature...".
//   403 -> PermissionDenied, 404 -> NotFound, 416 -> OutOfRange, other 4xx ->
//   InvalidArgument / FailedPrecondition, 5xx and connection failures ->
//   Unavailable (after options.max_attempts), timeouts -> DeadlineExceeded
//   (not retried).
class S3Store final : public ObjectStore {
 public:
  // A store over `bucket`, keys placed under `prefix` ("" or "a/b": no
  // leading or trailing '/'). Sends nothing yet.
  // Errors: InvalidArgument for a malformed bucket name, prefix or endpoint,
  // a part size under 5 MiB, or only one of access key id and secret set.
  static StatusOr<std::unique_ptr<S3Store>> Open(const std::string& bucket,
                                                 const std::string& prefix,
                                                 const ObjectStoreOptions& options);
  ~S3Store() override;

 private:
  struct Endpoint {
    std::string scheme;     // "http" or "https"
    std::string host_port;  // "127.0.0.1:9000", "s3.eu-west-1.amazonaws.com"
    bool path_style = true;
  };
  // One S3 call before signing.
  struct Call {
    std::string method;
    std::string key;  // full key (with the store's prefix); "" for the bucket
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<std::pair<std::string, std::string>> headers;  // signed too
    std::string_view body;
    std::function<Status(std::string_view)> sink;  // see HttpRequest::sink
  };

  S3Store(std::string bucket, std::string prefix, Endpoint endpoint,
          const ObjectStoreOptions& options);

  Status PutImpl(const std::string& key, std::string_view bytes) override;
  Status PutFileImpl(const std::string& key, const std::string& local_path) override;
  StatusOr<std::string> GetImpl(const std::string& key) override;
  StatusOr<std::string> GetRangeImpl(const std::string& key, int64_t offset,
                                     int64_t length) override;
  Status GetToFileImpl(const std::string& key, const std::string& local_path) override;
  StatusOr<ObjectInfo> StatImpl(const std::string& key) override;
  Status DeleteImpl(const std::string& key) override;
  StatusOr<std::vector<ObjectInfo>> ListImpl(const std::string& prefix) override;

  std::string FullKey(const std::string& key) const;
  // Signs and sends `call`, retrying what may be retried. Returns the 2xx
  // response; any other status becomes an error Status.
  StatusOr<HttpResponse> Execute(const Call& call);
  HttpRequest BuildRequest(const Call& call, const std::string& payload_sha256) const;
  Status ErrorFromResponse(const HttpResponse& response) const;
  // PutFile above the threshold: `fd` is open on a file of `size` bytes.
  Status MultipartUpload(const std::string& full_key, int fd, int64_t size,
                         const std::string& local_path);

  const std::string bucket_;
  const std::string prefix_;
  const Endpoint endpoint_;
  const ObjectStoreOptions options_;
  const AwsCredentials credentials_;
  HttpClient http_;
};

}  // namespace keel

#endif  // KEEL_STORAGE_S3_STORE_H_
