// Test helper: a real S3-protocol server on loopback for the S3 back-end's
// tests. Runs npm's s3rver (from <repo>/node_modules, installed by
// scripts/install-deps.sh) through s3_test_server.js, which adds SigV4
// signature checking, in a fresh temporary directory; stops it by PID.
// KEEL_S3_TEST_SERVER_VERBOSE=1 in the environment makes it log each request.
#ifndef KEEL_STORAGE_TESTING_S3_TEST_SERVER_H_
#define KEEL_STORAGE_TESTING_S3_TEST_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "keel/base/status.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/storage/object_store.h"

namespace keel::testing {

// Not thread-safe; one per test.
class S3TestServer {
 public:
  static constexpr char kAccessKeyId[] = "S3RVER";
  static constexpr char kSecretAccessKey[] = "S3RVER";

  struct Config {
    std::string bucket = "keel-test";
    // Upload parts 2, 3, ... of this key fail with 500 InternalError.
    std::string fail_parts_of_key;
    // How long to wait for the server to listen.
    int64_t start_timeout_ms = 30'000;
  };

  // Starts the server and waits until it listens.
  // Errors: FailedPrecondition when node or node_modules/s3rver is missing
  // (saying how to install them); Unavailable when the server exited or did
  // not come up in time (with the end of its log).
  static StatusOr<std::unique_ptr<S3TestServer>> Start(const Config& config);
  static StatusOr<std::unique_ptr<S3TestServer>> Start() { return Start(Config()); }

  // SIGTERM, then SIGKILL after 5 s; waits for the process.
  ~S3TestServer();
  S3TestServer(const S3TestServer&) = delete;
  S3TestServer& operator=(const S3TestServer&) = delete;

  int port() const { return port_; }
  const std::string& bucket() const { return bucket_; }
  // "http://127.0.0.1:<port>"
  std::string endpoint() const;
  // Endpoint, region, path-style and the server's credentials; short
  // timeouts and few retries, as suits tests.
  ObjectStoreOptions options() const;
  // "s3://<bucket>" plus "/<prefix>" when given.
  std::string uri(const std::string& prefix = "") const;
  // The server's log (stdout and stderr), for failure messages.
  std::string log() const;

 private:
  S3TestServer() = default;

  TempDir dir_;
  std::string bucket_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace keel::testing

#endif  // KEEL_STORAGE_TESTING_S3_TEST_SERVER_H_
