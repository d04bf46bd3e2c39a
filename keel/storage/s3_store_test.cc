// The S3 back-end against a real S3-protocol server (npm's s3rver, with
// SigV4 checking added) started on loopback by each test.
#include "keel/storage/s3_store.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/hash.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/storage/testing/s3_test_server.h"

namespace keel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::S3TestServer;
using ::testing::StartsWith;

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(S3TestServer::Config()); }

  void TearDown() override {
    if (HasFailure() && server_ != nullptr) {
      const std::string log = server_->log();
      std::printf("S3 test server log (KEEL_S3_TEST_SERVER_VERBOSE=1 for more):\n%s\n",
                  log.substr(log.size() > 8000 ? log.size() - 8000 : 0).c_str());
    }
  }

  void StartServer(const S3TestServer::Config& config) {
    auto server = S3TestServer::Start(config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    store_ = Open(server_->uri(), server_->options());
  }

  std::unique_ptr<ObjectStore> Open(const std::string& uri, const ObjectStoreOptions& options) {
    auto store = OpenObjectStore(uri, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::vector<std::string> Keys(ObjectStore& store, const std::string& prefix = "") {
    std::vector<std::string> keys;
    auto entries = store.List(prefix);
    EXPECT_TRUE(entries.ok()) << entries.status();
    if (entries.ok()) {
      for (const ObjectInfo& info : *entries) keys.push_back(info.key);
    }
    return keys;
  }

  // A file of `size` pseudo-random bytes (fast to make: one random MiB,
  // varied per MiB).
  std::string MakeFile(const std::string& name, int64_t size) {
    const std::string path = dir_.path() + "/" + name;
    std::FILE* file = std::fopen(path.c_str(), "wb");
    std::mt19937_64 random(42);
    std::string block(1 << 20, '\0');
    for (char& c : block) c = static_cast<char>(random());
    for (int64_t written = 0, i = 0; written < size; ++i) {
      block[0] = static_cast<char>(i);
      block[1] = static_cast<char>(i >> 8);
      const size_t n = static_cast<size_t>(std::min<int64_t>(block.size(), size - written));
      std::fwrite(block.data(), 1, n, file);
      written += static_cast<int64_t>(n);
    }
    std::fclose(file);
    return path;
  }

  testing::TempDir dir_;
  std::unique_ptr<S3TestServer> server_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(S3StoreTest, PutGetStatDelete) {
  ASSERT_TRUE(store_->Put("a/b.txt", "hello s3").ok());
  auto bytes = store_->Get("a/b.txt");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, "hello s3");

  auto info = store_->Stat("a/b.txt");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->key, "a/b.txt");
  EXPECT_EQ(info->size_bytes, 8);
  EXPECT_EQ(info->etag.size(), 32u);  // MD5 hex, quotes stripped
  EXPECT_GT(info->mtime_us, 0);
  EXPECT_TRUE(*store_->Exists("a/b.txt"));

  ASSERT_TRUE(store_->Delete("a/b.txt").ok());
  EXPECT_FALSE(*store_->Exists("a/b.txt"));
  EXPECT_TRUE(store_->Delete("a/b.txt").ok());  // already gone
}

TEST_F(S3StoreTest, BinaryAndEmptyObjects) {
  std::string binary(256 * 1024, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i % 256);
  ASSERT_TRUE(store_->Put("bin", binary).ok());
  EXPECT_TRUE(*store_->Get("bin") == binary) << "bytes differ";
  ASSERT_TRUE(store_->Put("empty", "").ok());
  EXPECT_EQ(*store_->Get("empty"), "");
  EXPECT_EQ(store_->Stat("empty")->size_bytes, 0);
}

// Keys that need percent-encoding: the server recomputes the signature over
// the encoded path, so a wrong encoding is refused.
TEST_F(S3StoreTest, KeysNeedingEncodingRoundTrip) {
  const std::vector<std::string> keys = {"dir/a b+c=d&e~f(1)!.csv", "données/été.txt",
                                         "x/100%/y;z,@$'*"};
  for (const std::string& key : keys) {
    ASSERT_TRUE(store_->Put(key, key).ok()) << key;
    auto bytes = store_->Get(key);
    ASSERT_TRUE(bytes.ok()) << key << ": " << bytes.status();
    EXPECT_EQ(*bytes, key);
  }
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(Keys(*store_), sorted);
}

TEST_F(S3StoreTest, ListPaginatesAndFiltersByPrefix) {
  ObjectStoreOptions options = server_->options();
  options.list_page_size = 7;  // 25 keys -> 4 pages
  auto store = Open(server_->uri(), options);
  std::vector<std::string> expected;
  for (int i = 0; i < 25; ++i) {
    const std::string key = absl::StrCat("runs/", 100 + i, ".json");
    ASSERT_TRUE(store->Put(key, "{}").ok());
    expected.push_back(key);
  }
  // Not "runs-other": s3rver walks its directories in an order where that
  // name breaks its own pagination (real S3 sorts keys by bytes).
  ASSERT_TRUE(store->Put("zz-other", "x").ok());
  ASSERT_TRUE(store->Put("models/m", "x").ok());
  EXPECT_EQ(Keys(*store, "runs/"), expected);
  EXPECT_EQ(Keys(*store).size(), 27u);
  EXPECT_THAT(Keys(*store, "runs/12"),
              ElementsAre("runs/120.json", "runs/121.json", "runs/122.json", "runs/123.json",
                          "runs/124.json"));
  EXPECT_THAT(Keys(*store, "nothing/"), ElementsAre());
  auto entries = store->List("models/");
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ((*entries)[0].size_bytes, 1);
  EXPECT_EQ((*entries)[0].etag.size(), 32u);
}

TEST_F(S3StoreTest, StoreUnderAPrefixSeesRelativeKeys) {
  auto runs = Open(server_->uri("experiments/7"), server_->options());
  ASSERT_TRUE(runs->Put("metrics.json", "{}").ok());
  ASSERT_TRUE(runs->Put("model/weights.bin", "w").ok());
  EXPECT_EQ(runs->Uri("metrics.json"), "s3://keel-test/experiments/7/metrics.json");
  EXPECT_THAT(Keys(*runs), ElementsAre("metrics.json", "model/weights.bin"));
  EXPECT_THAT(Keys(*store_),
              ElementsAre("experiments/7/metrics.json", "experiments/7/model/weights.bin"));
  EXPECT_EQ(*store_->Get("experiments/7/model/weights.bin"), "w");
}

TEST_F(S3StoreTest, RangedGet) {
  ASSERT_TRUE(store_->Put("r", "0123456789").ok());
  EXPECT_EQ(*store_->GetRange("r", 2, 3), "234");
  EXPECT_EQ(*store_->GetRange("r", 0, 1), "0");
  EXPECT_EQ(*store_->GetRange("r", 7, 100), "789");
  EXPECT_EQ(*store_->GetRange("r", 3, 0), "");
  auto past_end = store_->GetRange("r", 10, 5);
  EXPECT_EQ(past_end.status().code(), absl::StatusCode::kOutOfRange) << past_end.status();
  EXPECT_THAT(std::string(past_end.status().message()), StartsWith("s3://keel-test/r: 416"));
}

TEST_F(S3StoreTest, GetToFileStreamsAndFailsCleanly) {
  std::string bytes(3 << 20, 'x');
  ASSERT_TRUE(store_->Put("obj", bytes).ok());
  const std::string local = dir_.path() + "/obj.copy";
  ASSERT_TRUE(store_->GetToFile("obj", local).ok());
  EXPECT_TRUE(*ReadFile(local) == bytes) << "downloaded bytes differ";
  ASSERT_TRUE(WriteFileAtomic(local, "previous").ok());
  EXPECT_EQ(store_->GetToFile("missing", local).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*ReadFile(local), "previous");
}

TEST_F(S3StoreTest, MissingObjectIsNotFound) {
  auto bytes = store_->Get("no/such/key");
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(bytes.status().message()),
              StartsWith("s3://keel-test/no/such/key: 404 NoSuchKey"));
  auto info = store_->Stat("no/such/key");
  EXPECT_EQ(info.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(info.status().message()), StartsWith("s3://keel-test/no/such/key: 404"));
  EXPECT_FALSE(*store_->Exists("no/such/key"));
  EXPECT_EQ(store_->GetRange("no/such/key", 0, 4).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(S3StoreTest, MissingBucketIsNotFound) {
  auto store = Open("s3://no-such-bucket", server_->options());
  const Status status = store->Put("k", "v");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("s3://no-such-bucket/k: 404 NoSuchBucket"));
  EXPECT_EQ(store->List().status().code(), absl::StatusCode::kNotFound);
}

TEST_F(S3StoreTest, WrongSecretIsPermissionDenied) {
  ASSERT_TRUE(store_->Put("secret.txt", "s").ok());
  ObjectStoreOptions options = server_->options();
  options.secret_access_key = "not-the-secret";
  auto store = Open(server_->uri(), options);
  const Status put = store->Put("secret.txt", "overwritten");
  EXPECT_EQ(put.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(put.message()),
              StartsWith("s3://keel-test/secret.txt: 403 SignatureDoesNotMatch: "
                         "The request signature we calculated does not match"));
  EXPECT_THAT(std::string(put.message()), HasSubstr("access key id 'S3RVER'"));
  EXPECT_EQ(store->Get("secret.txt").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store->List().status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(*store_->Get("secret.txt"), "s");
}

TEST_F(S3StoreTest, UnknownAccessKeyIsPermissionDenied) {
  ObjectStoreOptions options = server_->options();
  options.access_key_id = "NOBODY";
  auto store = Open(server_->uri(), options);
  const Status status = store->Put("k", "v");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(status.message()), HasSubstr("403 InvalidAccessKeyId"));
}

// 200 MiB goes up in 13 parts of 16 MiB and comes back byte for byte.
TEST_F(S3StoreTest, LargeFileGoesUpInParts) {
  constexpr int64_t kSize = int64_t{200} << 20;
  const std::string source = MakeFile("big.bin", kSize);
  auto expected = Sha256HexOfFile(source);
  ASSERT_TRUE(expected.ok());

  const auto start = std::chrono::steady_clock::now();
  const Status put = store_->PutFile("datasets/big.bin", source);
  const auto uploaded = std::chrono::steady_clock::now();
  ASSERT_TRUE(put.ok()) << put;
  auto info = store_->Stat("datasets/big.bin");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->size_bytes, kSize);
  EXPECT_FALSE(info->etag.empty());

  const std::string copy = dir_.path() + "/big.copy";
  ASSERT_TRUE(store_->GetToFile("datasets/big.bin", copy).ok());
  const auto downloaded = std::chrono::steady_clock::now();
  EXPECT_EQ(*Sha256HexOfFile(copy), *expected);
  auto tail = store_->GetRange("datasets/big.bin", kSize - 3, 10);
  ASSERT_TRUE(tail.ok()) << tail.status();
  auto copied = ReadFile(copy);
  ASSERT_TRUE(copied.ok() && copied->size() == static_cast<size_t>(kSize));
  EXPECT_TRUE(*tail == copied->substr(kSize - 3)) << "the last 3 bytes differ";
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  std::printf("200 MiB multipart upload: %lld ms, download: %lld ms\n",
              static_cast<long long>(duration_cast<milliseconds>(uploaded - start).count()),
              static_cast<long long>(duration_cast<milliseconds>(downloaded - uploaded).count()));
}

TEST_F(S3StoreTest, SmallFileGoesUpInOneRequest) {
  const std::string source = MakeFile("small.bin", 1 << 20);
  ASSERT_TRUE(store_->PutFile("small.bin", source).ok());
  auto info = store_->Stat("small.bin");
  EXPECT_EQ(info->size_bytes, 1 << 20);
  EXPECT_THAT(info->etag, ::testing::Not(HasSubstr("-")));
  EXPECT_TRUE(*store_->Get("small.bin") == *ReadFile(source)) << "bytes differ";
}

// The server fails part 2 of the upload: the call fails naming the part,
// and the object keeps its previous contents.
TEST_F(S3StoreTest, FailedMultipartUploadKeepsPreviousObject) {
  S3TestServer::Config config;
  config.fail_parts_of_key = "model.bin";
  StartServer(config);
  ObjectStoreOptions options = server_->options();
  options.multipart_threshold_bytes = 5 << 20;
  options.multipart_part_size_bytes = 5 << 20;
  auto store = Open(server_->uri(), options);
  ASSERT_TRUE(store->Put("model.bin", "previous model").ok());

  const std::string source = MakeFile("model.src", 12 << 20);
  const Status status = store->PutFile("model.bin", source);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              StartsWith("s3://keel-test/model.bin: part 2 of 3: 500 "
                         "InternalError: Failure injected"));
  EXPECT_EQ(*store->Get("model.bin"), "previous model");
}

TEST_F(S3StoreTest, ConnectionRefusedIsUnavailable) {
  // A port that is bound but not listening refuses connections.
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t length = sizeof(addr);
  ::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &length);
  const int port = ntohs(addr.sin_port);

  ObjectStoreOptions options = server_->options();
  options.endpoint = absl::StrCat("http://127.0.0.1:", port);
  auto store = Open("s3://keel-test", options);
  auto bytes = store->Get("k");
  ::close(sock);
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kUnavailable) << bytes.status();
  EXPECT_THAT(std::string(bytes.status().message()),
              StartsWith(absl::StrCat("s3://keel-test/k: GET http://127.0.0.1:", port)));
  EXPECT_THAT(std::string(bytes.status().message()), HasSubstr("Connection refused"));
}

// A server that accepts connections and never answers.
TEST_F(S3StoreTest, SlowServerTimesOut) {
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(sock, 16), 0);  // the kernel completes the handshakes
  socklen_t length = sizeof(addr);
  ::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &length);

  ObjectStoreOptions options = server_->options();
  options.endpoint = absl::StrCat("http://127.0.0.1:", ntohs(addr.sin_port));
  options.idle_timeout_ms = 1000;
  auto store = Open("s3://keel-test", options);
  const auto start = std::chrono::steady_clock::now();
  auto bytes = store->Get("k");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kDeadlineExceeded) << bytes.status();
  EXPECT_THAT(std::string(bytes.status().message()),
              StartsWith("s3://keel-test/k: GET http://127.0.0.1:"));
  EXPECT_THAT(std::string(bytes.status().message()), HasSubstr("timed out"));
  EXPECT_LT(elapsed, std::chrono::seconds(10));

  options.idle_timeout_ms = 60'000;
  options.request_timeout_ms = 300;
  auto bounded = Open("s3://keel-test", options);
  EXPECT_EQ(bounded->Put("k", "v").code(), absl::StatusCode::kDeadlineExceeded);
  ::close(sock);
}

}  // namespace
}  // namespace keel
