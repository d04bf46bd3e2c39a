#include "keel/base/config.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(std::string_view yaml) {
  auto config = Config::Parse(yaml, "keel.yaml");
  EXPECT_FALSE(config.ok()) << "expected an error for:\n" << yaml;
  if (config.ok()) return "";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

TEST(ConfigTest, DefaultsForEverySetting) {
  Config config;
  EXPECT_EQ(config.GetString("storage.uri"), "file://.keel/lake");
  EXPECT_EQ(config.GetString("registry.uri"), "sqlite://.keel/keel.db");
  EXPECT_EQ(config.GetString("online_store.type"), "embedded");
  EXPECT_EQ(config.GetInt("threads"), 0);
  EXPECT_FALSE(config.GetBool("storage.s3.path_style"));
  EXPECT_EQ(config.Origin("log.level"), "default");
}

TEST(ConfigTest, ParsesNestedSettingsAndRecordsWhereEachCameFrom) {
  auto config = Config::Parse(
      "project: fraud\n"
      "storage:\n"
      "  uri: s3://bucket/keel\n"
      "  s3:\n"
      "    path_style: true\n"
      "    timeout_ms: 500\n"
      "log:\n"
      "  level: debug\n"
      "online_store:\n",
      "keel.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->GetString("project"), "fraud");
  EXPECT_EQ(config->GetString("storage.uri"), "s3://bucket/keel");
  EXPECT_TRUE(config->GetBool("storage.s3.path_style"));
  EXPECT_EQ(config->GetInt("storage.s3.timeout_ms"), 500);
  EXPECT_EQ(config->GetString("log.level"), "debug");
  EXPECT_EQ(config->Origin("log.level"), "keel.yaml:8:10");
  EXPECT_EQ(config->Origin("log.format"), "default");
}

TEST(ConfigTest, InvalidYamlNamesLineAndColumn) {
  EXPECT_THAT(ErrorOf("project: x\nlog:\n  level: [debug\n"),
              HasSubstr("keel.yaml:4:1: invalid YAML: "));
  EXPECT_THAT(ErrorOf("project: x\n\tlog: 1\n"), HasSubstr("keel.yaml:2:"));
}

TEST(ConfigTest, UnknownKeyListsValidKeysAndClosestMatch) {
  EXPECT_EQ(ErrorOf("project: x\nregsitry:\n  uri: sqlite://a.db\n"),
            "keel.yaml:2:1: unknown key 'regsitry'. Did you mean 'registry'? Valid keys at the "
            "top level: project, storage, registry, online_store, log, threads.");
  EXPECT_EQ(ErrorOf("project: x\nstorage:\n  s3:\n    regoin: eu-west-1\n"),
            "keel.yaml:4:5: unknown key 'storage.s3.regoin'. Did you mean 'region'? Valid keys "
            "under 'storage.s3': endpoint, region, path_style, access_key_id, "
            "secret_access_key, timeout_ms.");
}

TEST(ConfigTest, WrongTypesAndValuesSayWhatWasExpected) {
  EXPECT_EQ(ErrorOf("project: x\nlog:\n  level: loud\n"),
            "keel.yaml:3:10: log.level: expected one of trace, debug, info, warn, error, off; "
            "got 'loud'");
  EXPECT_EQ(ErrorOf("project: x\nlog:\n  format: jsn\n"),
            "keel.yaml:3:11: log.format: expected one of text, json; got 'jsn'. Did you mean "
            "'json'?");
  EXPECT_EQ(ErrorOf("project: x\nthreads: many\n"),
            "keel.yaml:2:10: threads: expected an integer from 0 to 4096; got 'many'");
  EXPECT_EQ(ErrorOf("project: x\nthreads: -1\n"),
            "keel.yaml:2:10: threads: expected an integer from 0 to 4096; got '-1'");
  EXPECT_EQ(ErrorOf("project: x\nstorage:\n  s3:\n    path_style: yes\n"),
            "keel.yaml:4:17: storage.s3.path_style: expected true or false; got 'yes'");
  EXPECT_EQ(ErrorOf("project: x\nregistry:\n  uri: mysql://db\n"),
            "keel.yaml:3:8: registry.uri: expected a URI starting with sqlite://, "
            "postgresql://, postgres://, such as 'postgresql://keel@127.0.0.1:5432/keel'; got "
            "'mysql://db'");
  EXPECT_EQ(ErrorOf("project: x\nlog: debug\n"),
            "keel.yaml:2:6: log: expected a mapping of settings (level, format), got 'debug'");
  EXPECT_EQ(ErrorOf("project: x\nthreads:\n  - 1\n"),
            "keel.yaml:3:3: threads: expected an integer from 0 to 4096, got a list");
  EXPECT_THAT(ErrorOf("project: x\nlog:\n  level:\n"),
              HasSubstr("log.level: no value given; write one of trace, debug, info, warn, "
                        "error, off, or remove the line to use the default 'info'"));
  EXPECT_EQ(ErrorOf("project: my project\n"),
            "keel.yaml:1:10: project: expected letters, digits, '-', '_' or '.' only; got 'my "
            "project'");
}

TEST(ConfigTest, DuplicateKeysAreRejected) {
  EXPECT_EQ(ErrorOf("project: x\nthreads: 1\nthreads: 2\n"),
            "keel.yaml:3:1: duplicate key 'threads'");
}

TEST(ConfigTest, ProjectIsRequired) {
  EXPECT_EQ(ErrorOf("log:\n  level: info\n"),
            "keel.yaml: missing required key 'project' (the project's name, e.g. 'project: "
            "fraud-detection')");
  EXPECT_EQ(ErrorOf(""), "keel.yaml: the file has no settings; it needs at least 'project: NAME'");
  EXPECT_EQ(ErrorOf("- a\n- b\n"),
            "keel.yaml:1:1: expected a mapping of settings (project, storage, registry, "
            "online_store, log, threads), got a list");
}

TEST(ConfigTest, EnvironmentOverridesFileAndWarnsAboutTypos) {
  auto config = Config::Parse("project: x\nlog:\n  level: debug\n", "keel.yaml");
  ASSERT_TRUE(config.ok());
  auto warnings = config->ApplyEnvironment({"HOME=/root", "KEEL_LOG_LEVEL=warn",
                                            "KEEL_STORAGE_S3_PATH_STYLE=true",
                                            "KEEL_REGISTRY_URL=sqlite://x.db", "KEEL_WORKSPACE=/w"});
  ASSERT_TRUE(warnings.ok()) << warnings.status();
  EXPECT_EQ(config->GetString("log.level"), "warn");
  EXPECT_EQ(config->Origin("log.level"), "KEEL_LOG_LEVEL");
  EXPECT_TRUE(config->GetBool("storage.s3.path_style"));
  ASSERT_EQ(warnings->size(), 1u);
  EXPECT_EQ((*warnings)[0],
            "environment variable KEEL_REGISTRY_URL matches no setting and is ignored. Did you "
            "mean 'KEEL_REGISTRY_URI'?");
}

TEST(ConfigTest, BadEnvironmentValueNamesTheVariable) {
  Config config;
  auto result = config.ApplyEnvironment({"KEEL_THREADS=lots"});
  EXPECT_EQ(result.status().message(),
            "environment variable KEEL_THREADS: threads: expected an integer from 0 to 4096; got "
            "'lots'");
}

TEST(ConfigTest, EnvVarNames) {
  EXPECT_EQ(EnvVarForKey("log.level"), "KEEL_LOG_LEVEL");
  EXPECT_EQ(EnvVarForKey("storage.s3.path_style"), "KEEL_STORAGE_S3_PATH_STYLE");
}

// The template must parse as is, and uncommenting every setting must give
// exactly the defaults: the comments can never drift from the real values.
TEST(ConfigTest, TemplateCommentsAreTheDefaults) {
  const std::string text = RenderConfigTemplate("demo");
  auto as_is = Config::Parse(text, "keel.yaml");
  ASSERT_TRUE(as_is.ok()) << as_is.status() << "\n" << text;
  EXPECT_EQ(as_is->GetString("project"), "demo");

  std::istringstream in(text);
  std::string line, uncommented;
  bool in_header = true;
  while (std::getline(in, line)) {
    if (line.empty()) in_header = false;
    if (!in_header && line.rfind("# ", 0) == 0) {
      const std::string body = line.substr(2);
      const size_t first = body.find_first_not_of(' ');
      if (first != std::string::npos && body[first] != '#') line = body;
    }
    uncommented += line + "\n";
  }
  auto all = Config::Parse(uncommented, "uncommented.yaml");
  ASSERT_TRUE(all.ok()) << all.status() << "\n" << uncommented;
  const Config defaults;
  for (const Config::Entry& entry : all->Entries()) {
    if (entry.key == "project") continue;
    EXPECT_EQ(entry.value, defaults.GetString(entry.key)) << entry.key;
    EXPECT_NE(entry.origin, "default") << entry.key << " is missing from the template";
  }
}

}  // namespace
}  // namespace keel
