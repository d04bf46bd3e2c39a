// End-to-end tests of the `keel` program: the real binary, run in temp
// folders, checked on exit codes, stdout and stderr.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/cli/run_keel_for_test.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using testing::CommandResult;
using ::testing::HasSubstr;
using ::testing::Not;

class CliTest : public ::testing::Test {
 protected:
  // Runs keel in `cwd` (default: the temp folder) without any KEEL_* from
  // the test's own environment.
  CommandResult Keel(std::vector<std::string> args, std::vector<std::string> env = {},
                     std::string cwd = "") {
    return testing::RunKeel(std::move(args), cwd.empty() ? dir_.path() : cwd, std::move(env));
  }

  std::string path(const std::string& rel) const { return dir_.path() + "/" + rel; }

  testing::TempDir dir_;
};

TEST_F(CliTest, VersionAndHelp) {
  CommandResult r = Keel({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, ::testing::MatchesRegex("keel [0-9]+\\.[0-9]+\\.[0-9]+ \\(git .*\\)\n"));

  r = Keel({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("init"));
  EXPECT_THAT(r.out, HasSubstr("config"));
  EXPECT_THAT(r.out, HasSubstr("--json"));

  r = Keel({});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("Usage"));

  for (const std::vector<std::string>& cmd : {std::vector<std::string>{"init", "--help"},
                                              {"config", "--help"},
                                              {"config", "show", "--help"},
                                              {"config", "get", "--help"},
                                              {"config", "check", "--help"}}) {
    r = Keel(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd[0];
    EXPECT_THAT(r.out, HasSubstr("Usage")) << cmd[0];
  }
  EXPECT_THAT(Keel({"init", "--help"}).out, HasSubstr("--force"));
}

TEST_F(CliTest, UnknownCommandSuggestsTheClosest) {
  CommandResult r = Keel({"inti"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(
      r.err,
      HasSubstr("keel: error: unknown command 'inti' for 'keel'. Did you mean "
                "'init'? Commands: init, config, datagen, ingest, datasets, train, evaluate, "
                "predict, transform, models, runs, features, pipeline, serve."));
  r = Keel({"config", "shwo"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'shwo' for 'keel config'. Did you mean 'show'?"));
  r = Keel({"config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("'keel config' needs a command: show, get, check."));
}

TEST_F(CliTest, UnknownFlagSuggestsTheClosest) {
  CommandResult r = Keel({"init", "--forse"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown flag '--forse' for 'keel init'. Did you mean '--force'? "
                               "Run 'keel init --help' for usage."));
  r = Keel({"--jsn", "init"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("Did you mean '--json'?"));
  r = Keel({"--progress", "sometimes", "init"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("sometimes"));
  r = Keel({"init", "a", "b"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unexpected argument 'b' for 'keel init'"));
  EXPECT_FALSE(PathExists(path("a")));
}

TEST_F(CliTest, InitCreatesAWorkspaceAndRefusesToRedoIt) {
  CommandResult r = Keel({"init", "proj"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Initialised Keel workspace 'proj' in " + path("proj")));
  EXPECT_TRUE(PathExists(path("proj/keel.yaml")));
  EXPECT_TRUE(IsDirectory(path("proj/.keel/lake")));

  ASSERT_TRUE(WriteFileAtomic(path("proj/.keel/lake/kept.bin"), "data").ok());
  const std::string before = *ReadFile(path("proj/keel.yaml"));
  r = Keel({"init", "proj"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("is already a Keel workspace"));
  EXPECT_THAT(r.err, HasSubstr("--force"));
  EXPECT_EQ(*ReadFile(path("proj/keel.yaml")), before);

  r = Keel({"init", "proj", "--force", "--project", "renamed"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(*ReadFile(path("proj/keel.yaml.bak")), before);
  EXPECT_EQ(*ReadFile(path("proj/.keel/lake/kept.bin")), "data");
  EXPECT_THAT(*ReadFile(path("proj/keel.yaml")), HasSubstr("project: renamed"));
}

TEST_F(CliTest, InitJson) {
  CommandResult r = Keel({"init", "--json", "--project", "fraud"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["project"], "fraud");
  EXPECT_EQ(doc["root"], dir_.path());
  EXPECT_EQ(doc["rewrote_config"], false);
  EXPECT_FALSE(doc["created"].empty());

  r = Keel({"init", "--project", "bad name"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(CliTest, ConfigShowFindsTheWorkspaceFromASubfolder) {
  ASSERT_EQ(Keel({"init", "--project", "p"}).exit_code, 0);
  ASSERT_TRUE(MakeDirs(path("data/raw")).ok());
  CommandResult r = Keel({"config", "show", "--json"}, {"KEEL_LOG_LEVEL=debug"}, path("data/raw"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["workspace"], dir_.path());
  EXPECT_EQ(doc["settings"]["project"]["value"], "p");
  EXPECT_EQ(doc["settings"]["log.level"]["value"], "debug");
  EXPECT_EQ(doc["settings"]["log.level"]["origin"], "KEEL_LOG_LEVEL");
  EXPECT_EQ(doc["settings"]["registry.uri"]["origin"], "default");

  r = Keel({"config", "get", "registry.uri"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "sqlite://.keel/keel.db\n");
  r = Keel({"config", "get", "registry.url"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown setting 'registry.url'. Did you mean 'registry.uri'?"));
}

TEST_F(CliTest, SecretsAreMaskedInShow) {
  ASSERT_EQ(Keel({"init", "--project", "p"}).exit_code, 0);
  CommandResult r = Keel({"config", "show"}, {"KEEL_STORAGE_S3_SECRET_ACCESS_KEY=hunter2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("hunter2")));
  EXPECT_THAT(r.out, HasSubstr("********"));
}

TEST_F(CliTest, WorkspaceFlagAndVariable) {
  ASSERT_EQ(Keel({"init", "ws", "--project", "w"}).exit_code, 0);
  EXPECT_EQ(Keel({"--workspace", path("ws"), "config", "get", "project"}).out, "w\n");
  EXPECT_EQ(Keel({"config", "get", "project", "-C", "ws"}).out, "w\n");
  EXPECT_EQ(Keel({"config", "get", "project"}, {"KEEL_WORKSPACE=" + path("ws")}).out, "w\n");
  CommandResult r = Keel({"config", "show"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("not inside a Keel workspace"));
  EXPECT_THAT(r.err, HasSubstr("keel init"));
}

TEST_F(CliTest, MalformedConfigIsAUsageErrorWithLocation) {
  ASSERT_EQ(Keel({"init", "--project", "p"}).exit_code, 0);
  ASSERT_TRUE(WriteFileAtomic(path("keel.yaml"), "project: p\nlog:\n  levle: debug\n").ok());
  CommandResult r = Keel({"config", "check"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err,
              HasSubstr(path("keel.yaml") + ":3:3: unknown key 'log.levle'. Did you mean "
                                            "'level'? Valid keys under 'log': level, format."));

  ASSERT_TRUE(WriteFileAtomic(path("keel.yaml"), "project: p\nthreads: [1\n").ok());
  r = Keel({"config", "check"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(path("keel.yaml") + ":3:1: invalid YAML"));

  ASSERT_TRUE(WriteFileAtomic(path("keel.yaml"), "project: p\n").ok());
  r = Keel({"config", "check"}, {"KEEL_LOG_FORMAT=xml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("environment variable KEEL_LOG_FORMAT: log.format: expected one "
                               "of text, json; got 'xml'"));
}

TEST_F(CliTest, ErrorsUnderJsonAreJsonOnStdout) {
  CommandResult r = Keel({"config", "show", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["error"]["code"], "FAILED_PRECONDITION");
  EXPECT_THAT(doc["error"]["message"].get<std::string>(), HasSubstr("not inside a Keel workspace"));
}

TEST_F(CliTest, JsonLogLinesOnStderr) {
  ASSERT_EQ(Keel({"init", "--project", "p"}).exit_code, 0);
  CommandResult r = Keel({"config", "check", "--log-format", "json"}, {"KEEL_LOG_LVEL=debug"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto line = nlohmann::json::parse(r.err.substr(0, r.err.find('\n')));
  EXPECT_EQ(line["level"], "warning");
  EXPECT_THAT(line["msg"].get<std::string>(),
              HasSubstr("KEEL_LOG_LVEL matches no setting and is ignored. Did you mean "
                        "'KEEL_LOG_LEVEL'?"));
  r = Keel({"config", "check", "--log-level", "loud"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown log level 'loud'"));
}

TEST_F(CliTest, DatagenWritesTheExampleData) {
  CommandResult r = Keel({"datagen", "fraud", "--rows", "5000", "--out", "d", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["transactions"], 5000);
  for (const char* f : {"transactions.csv", "users.csv", "merchants.csv", "user_snapshots.csv"}) {
    EXPECT_TRUE(PathExists(path("d/") + f)) << f;
  }
  EXPECT_THAT(r.err, HasSubstr("datagen fraud: done, 5.0k rows"));  // progress on stderr
  // The same seed gives the same bytes.
  ASSERT_EQ(Keel({"datagen", "fraud", "--rows", "5000", "--out", "e"}).exit_code, 0);
  EXPECT_EQ(*ReadFile(path("d/transactions.csv")), *ReadFile(path("e/transactions.csv")));

  r = Keel({"datagen", "fraud", "--size", "1XB"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--size: cannot read '1XB'"));
  r = Keel({"datagen", "fraud", "--size", "1MB", "--rows", "5"});
  EXPECT_EQ(r.exit_code, 2);
  r = Keel({"datagen", "fraud", "--start", "2024-13-01"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--start: '2024-13-01': month 13 out of range"));
}

}  // namespace
}  // namespace keel
