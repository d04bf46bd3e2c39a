#include "keel/storage/object_store.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"

namespace keel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ObjectKeyTest, AcceptsOrdinaryKeys) {
  for (const char* key : {"a", "a/b/c.csv", "datasets/txns/v1/part-0.parquet", "a b+c=d",
                          "été/ключ", "..a", "a..", ".hidden"}) {
    EXPECT_TRUE(ValidateObjectKey(key).ok()) << key << ": " << ValidateObjectKey(key);
  }
}

TEST(ObjectKeyTest, RejectsEachBadShapeWithTheRule) {
  const struct {
    std::string key;
    std::string rule;
  } cases[] = {
      {"", "empty"},
      {"/etc/passwd", "leading '/'"},
      {"../x", "'..' segment"},
      {"a/../../x", "'..' segment"},
      {"a/..", "'..' segment"},
      {"a/./b", "'.' segment"},
      {"a//b", "empty segment"},
      {"a/", "ends with '/'"},
      {std::string("a\0b", 3), "NUL"},
      {"a\nb", "control character"},
      {std::string(1025, 'k'), "longer than 1024"},
  };
  for (const auto& c : cases) {
    const Status status = ValidateObjectKey(c.key);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.key;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.rule)) << c.key;
  }
  EXPECT_THAT(std::string(ValidateObjectKey("../x").message()), HasSubstr("'../x'"));
}

TEST(ObjectKeyTest, ListPrefixAllowsEmptyAndTrailingSlash) {
  EXPECT_TRUE(ValidateListPrefix("").ok());
  EXPECT_TRUE(ValidateListPrefix("a/b/").ok());
  EXPECT_TRUE(ValidateListPrefix("a/b").ok());
  EXPECT_FALSE(ValidateListPrefix("../").ok());
  EXPECT_FALSE(ValidateListPrefix("/a").ok());
  EXPECT_FALSE(ValidateListPrefix("a//").ok());
}

TEST(StorageUriTest, Forms) {
  auto s3 = ParseStorageUri("s3://bucket/a/b/");
  ASSERT_TRUE(s3.ok()) << s3.status();
  EXPECT_EQ(s3->scheme, "s3");
  EXPECT_EQ(s3->authority, "bucket");
  EXPECT_EQ(s3->path, "a/b");

  auto bucket_only = ParseStorageUri("S3://bucket");
  ASSERT_TRUE(bucket_only.ok());
  EXPECT_EQ(bucket_only->scheme, "s3");
  EXPECT_EQ(bucket_only->path, "");

  auto absolute = ParseStorageUri("file:///data/lake/");
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(absolute->scheme, "file");
  EXPECT_EQ(absolute->path, "/data/lake");

  auto relative = ParseStorageUri("file://rel/dir");
  ASSERT_TRUE(relative.ok());
  EXPECT_EQ(relative->path, "rel/dir");

  auto bare = ParseStorageUri(".keel/lake");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->scheme, "file");
  EXPECT_EQ(bare->path, ".keel/lake");
}

TEST(StorageUriTest, Errors) {
  EXPECT_THAT(std::string(ParseStorageUri("").status().message()), HasSubstr("empty"));
  EXPECT_THAT(std::string(ParseStorageUri("s3:///x").status().message()),
              HasSubstr("names no bucket"));
  EXPECT_THAT(std::string(ParseStorageUri("file://").status().message()),
              HasSubstr("names no directory"));
  EXPECT_THAT(std::string(ParseStorageUri("9p://x").status().message()),
              HasSubstr("bad scheme '9p'"));
}

TEST(ObjectStoreRegistryTest, UnknownSchemeListsKnownOnes) {
  auto store = OpenObjectStore("gs://x");
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(store.status().message()),
              HasSubstr("unknown storage scheme 'gs' in 'gs://x'; known: file, s3"));
  EXPECT_THAT(std::string(OpenObjectStore("s4://x").status().message()),
              HasSubstr("Did you mean 's3'?"));
}

TEST(ObjectStoreRegistryTest, BuiltinsAreFileAndS3) {
  EXPECT_THAT(ObjectStoreRegistry::Builtins().Schemes(), ElementsAre("file", "s3"));
}

TEST(ObjectStoreRegistryTest, OpensFileStoresFromEveryForm) {
  testing::TempDir dir;
  for (const std::string& uri : {dir.path() + "/a", "file://" + dir.path() + "/b"}) {
    auto store = OpenObjectStore(uri);
    ASSERT_TRUE(store.ok()) << uri << ": " << store.status();
    EXPECT_TRUE((*store)->Put("k", "v").ok());
    EXPECT_EQ((*store)->root_uri(), "file://" + uri.substr(uri.rfind(dir.path())));
  }
}

TEST(ObjectStoreRegistryTest, OpensS3StoreWithoutNetwork) {
  ObjectStoreOptions options;
  options.endpoint = "http://127.0.0.1:9";
  auto store = OpenObjectStore("s3://bucket/runs/7", options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->root_uri(), "s3://bucket/runs/7");
  EXPECT_EQ((*store)->Uri("model.bin"), "s3://bucket/runs/7/model.bin");
}

TEST(ObjectStoreRegistryTest, S3OptionErrorsNameTheUri) {
  ObjectStoreOptions options;
  options.access_key_id = "AKID";
  EXPECT_THAT(std::string(OpenObjectStore("s3://bucket", options).status().message()),
              HasSubstr("s3://bucket: an access key id is set but no secret"));
  options = {};
  options.endpoint = "127.0.0.1:9000";
  EXPECT_THAT(std::string(OpenObjectStore("s3://bucket", options).status().message()),
              HasSubstr("needs a scheme"));
  options = {};
  options.multipart_part_size_bytes = 1 << 20;
  EXPECT_THAT(std::string(OpenObjectStore("s3://bucket", options).status().message()),
              HasSubstr("under S3's minimum of 5 MiB"));
  EXPECT_THAT(std::string(OpenObjectStore("s3://bad/../prefix").status().message()),
              HasSubstr("'..'"));
}

TEST(ObjectStoreRegistryTest, CustomBackEndsCanBeRegistered) {
  ObjectStoreRegistry registry;
  registry.Register("mem",
                    [](const StorageUri& uri,
                       const ObjectStoreOptions&) -> StatusOr<std::unique_ptr<ObjectStore>> {
                      return absl::UnimplementedError("mem store for " + uri.authority);
                    });
  EXPECT_THAT(std::string(registry.Open("mem://x", {}).status().message()),
              HasSubstr("mem store for x"));
  EXPECT_THAT(std::string(registry.Open("file:///tmp", {}).status().message()),
              HasSubstr("known: mem"));
}

class ObjectStoreOptionsTest : public ::testing::Test {
 protected:
  static constexpr const char* kVariables[] = {"AWS_ACCESS_KEY_ID",   "AWS_SECRET_ACCESS_KEY",
                                               "AWS_SESSION_TOKEN",   "AWS_REGION",
                                               "AWS_DEFAULT_REGION",  "AWS_ENDPOINT_URL",
                                               "AWS_ENDPOINT_URL_S3", "AWS_S3_USE_PATH_STYLE"};
  void SetUp() override {
    for (const char* name : kVariables) ::unsetenv(name);
  }
  void TearDown() override { SetUp(); }
};

TEST_F(ObjectStoreOptionsTest, ReadsTheUsualAwsVariables) {
  ::setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
  ::setenv("AWS_SESSION_TOKEN", "TOKEN", 1);
  ::setenv("AWS_DEFAULT_REGION", "eu-west-3", 1);
  ::setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000", 1);
  ::setenv("AWS_S3_USE_PATH_STYLE", "true", 1);
  const ObjectStoreOptions options = OptionsFromEnv();
  EXPECT_EQ(options.access_key_id, "AKID");
  EXPECT_EQ(options.secret_access_key, "SECRET");
  EXPECT_EQ(options.session_token, "TOKEN");
  EXPECT_EQ(options.region, "eu-west-3");
  EXPECT_EQ(options.endpoint, "http://127.0.0.1:9000");
  EXPECT_TRUE(options.path_style);

  ::setenv("AWS_REGION", "ap-south-1", 1);  // wins over AWS_DEFAULT_REGION
  ::setenv("AWS_ENDPOINT_URL_S3", "https://s3.example", 1);
  EXPECT_EQ(OptionsFromEnv().region, "ap-south-1");
  EXPECT_EQ(OptionsFromEnv().endpoint, "https://s3.example");
}

TEST_F(ObjectStoreOptionsTest, UnsetVariablesKeepTheDefaults) {
  ObjectStoreOptions defaults;
  defaults.region = "from-keel-yaml";
  defaults.access_key_id = "yaml-key";
  const ObjectStoreOptions options = OptionsFromEnv(defaults);
  EXPECT_EQ(options.region, "from-keel-yaml");
  EXPECT_EQ(options.access_key_id, "yaml-key");
  EXPECT_FALSE(options.path_style);
}

TEST(OptionsFromConfigTest, KeelYamlOverridesAwsVariablesWhichOverrideDefaults) {
  setenv("AWS_REGION", "eu-west-3", 1);
  setenv("AWS_ACCESS_KEY_ID", "from-env", 1);
  unsetenv("AWS_S3_USE_PATH_STYLE");
  auto config = Config::Parse(
      "project: p\nstorage:\n  s3:\n    endpoint: http://127.0.0.1:9000\n    path_style: true\n"
      "    timeout_ms: 1500\n",
      "keel.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ObjectStoreOptions options = OptionsFromConfig(*config);
  EXPECT_EQ(options.endpoint, "http://127.0.0.1:9000");
  EXPECT_TRUE(options.path_style);
  EXPECT_EQ(options.idle_timeout_ms, 1500);
  EXPECT_EQ(options.region, "eu-west-3");          // keel.yaml left it at its default
  EXPECT_EQ(options.access_key_id, "from-env");
  ASSERT_TRUE(config->ApplyEnvironment({"KEEL_STORAGE_S3_REGION=ap-south-1"}).ok());
  EXPECT_EQ(OptionsFromConfig(*config).region, "ap-south-1");
  unsetenv("AWS_REGION");
  unsetenv("AWS_ACCESS_KEY_ID");
}

}  // namespace
}  // namespace keel
