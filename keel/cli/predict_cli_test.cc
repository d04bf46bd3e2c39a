// End-to-end tests of `keel predict` as a streaming batch scorer: outputs
// equal to the bundle's own Predict on the whole table, shards that
// concatenate to the unsharded output, atomic output, and flat memory on an
// input many times the chunk size.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/cli/run_keel_for_test.h"
#include "keel/learn/bundle.h"
#include "keel/table/csv_reader.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using testing::CommandResult;
using ::testing::HasSubstr;
using json = nlohmann::json;
namespace fs = std::filesystem;

// `rows` rows of x1..x4 (x4 with gaps), a city and a label.
std::string MakeCsv(int64_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  std::string csv = "x1,x2,x3,x4,city,label\n";
  const char* cities[] = {"Paris", "Lyon", "Nice"};
  for (int64_t i = 0; i < rows; ++i) {
    const double x1 = normal(rng), x2 = normal(rng), x3 = u(rng) * 10, x4 = normal(rng);
    const bool gap = u(rng) < 0.1;
    const double logit = 1.5 * x1 - x2 + 0.3 * (x3 - 5) + (gap ? 0 : 0.8 * x4);
    const int label = u(rng) < 1 / (1 + std::exp(-logit)) ? 1 : 0;
    absl::StrAppend(&csv, x1, ",", x2, ",", x3, ",", gap ? "" : absl::StrCat(x4), ",",
                    cities[i % 3], ",", label, "\n");
  }
  return csv;
}

class PredictCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0);
    ASSERT_TRUE(WriteFileAtomic(Path("data.csv"), MakeCsv(3000, 11)).ok());
    ASSERT_EQ(Keel({"ingest", "data.csv", "--name", "d"}).exit_code, 0);
    CommandResult r = Keel({"train", "--data", "d", "--target", "label", "--model", "gbdt",
                            "--name", "m", "-p", "n_estimators=20", "-p", "max_depth=3",
                            "--features", "x1,x2,x3,x4"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  CommandResult Keel(std::vector<std::string> args) {
    return testing::RunKeel(std::move(args), dir_.path());
  }
  std::string Read(const std::string& name) {
    StatusOr<std::string> text = ReadFile(Path(name));
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? *text : "";
  }

  // The model's bundle straight from the workspace's object store.
  learn::Bundle LoadBundle() {
    for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
      if (entry.path().extension() == ".keel") {
        StatusOr<learn::Bundle> bundle = learn::Bundle::Load(*ReadFile(entry.path().string()));
        EXPECT_TRUE(bundle.ok()) << bundle.status();
        return *std::move(bundle);
      }
    }
    ADD_FAILURE() << "no .keel bundle in the workspace";
    return *learn::Bundle::Load("");
  }

  testing::TempDir dir_;
};

// Every line of `text` but the first (a CSV header).
std::string Body(const std::string& text) { return text.substr(text.find('\n') + 1); }

TEST_F(PredictCliTest, StreamedChunksEqualTheBundlesPredictOnTheWholeTable) {
  ASSERT_TRUE(WriteFileAtomic(Path("score.csv"), MakeCsv(5000, 12)).ok());
  CommandResult r = Keel({"predict", "--model", "m", "--data", "score.csv", "--out", "out.csv",
                          "--chunk-rows", "333", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json summary = json::parse(r.out);
  EXPECT_EQ(summary["rows"], 5000);
  EXPECT_GE(summary["chunks"].get<int>(), 16);  // 5000 / 333, more where batches end
  EXPECT_EQ(summary["columns"], json({"prediction", "probability"}));

  // The reference: the whole file read at once and scored in one call.
  StatusOr<Table> whole = ReadCsv(Path("score.csv"));
  ASSERT_TRUE(whole.ok()) << whole.status();
  StatusOr<Table> expected = LoadBundle().Predict(*whole);
  ASSERT_TRUE(expected.ok()) << expected.status();
  StatusOr<Table> got = ReadCsv(Path("out.csv"));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->num_rows(), 5000);
  const auto want_p = expected->ColumnByName("probability")->Float64Values();
  const auto got_p = got->ColumnByName("probability")->Float64Values();
  const auto want_l = expected->ColumnByName("prediction")->Int64Values();
  const auto got_l = got->ColumnByName("prediction")->Int64Values();
  int diffs = 0;
  for (int64_t i = 0; i < 5000; ++i) diffs += want_p[i] != got_p[i] || want_l[i] != got_l[i];
  EXPECT_EQ(diffs, 0);  // bit for bit: doubles are written shortest round-trip
}

TEST_F(PredictCliTest, EveryInputFormatGivesTheSameScores) {
  ASSERT_EQ(Keel({"predict", "--model", "m", "--data", "data.csv", "--out", "csv.csv"}).exit_code,
            0);
  const std::string want = Read("csv.csv");
  // The dataset (read whole from the lake), and the file through a file:// URI.
  CommandResult r = Keel({"predict", "--model", "m", "--data", "d", "--out", "lake.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Read("lake.csv"), want);
  r = Keel({"predict", "--model", "m", "--data", "file://" + Path("data.csv"), "--out", "uri.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Read("uri.csv"), want);
  // Written as Parquet and as JSON Lines, read back as input.
  r = Keel({"datasets", "export", "d", "--out", "d.parquet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Keel({"predict", "--model", "m", "--data", "d.parquet", "--out", "pq.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Read("pq.csv"), want);
  // Parquet and native output hold the same table.
  r = Keel({"predict", "--model", "m", "--data", "data.csv", "--out", "out.parquet",
            "--chunk-rows", "500"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Keel({"predict", "--model", "m", "--data", "out.parquet", "--out", "x.jsonl"});
  EXPECT_NE(r.exit_code, 0);  // predictions are not the model's inputs
  EXPECT_THAT(r.err, HasSubstr("lacks columns the model needs: x1 (float64)"));
}

TEST_F(PredictCliTest, ShardsConcatenateToTheUnshardedOutput) {
  ASSERT_TRUE(WriteFileAtomic(Path("score.csv"), MakeCsv(2000, 13)).ok());
  CommandResult r = Keel({"predict", "--model", "m", "--data", "score.csv", "--out", "all.csv",
                          "--chunk-rows", "128", "--keep-inputs"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string all = Read("all.csv");
  for (const char* ext : {".csv", ".jsonl"}) {
    std::string joined;
    int64_t rows = 0;
    for (int i = 1; i <= 3; ++i) {
      const std::string out = absl::StrCat("part", i, ext);
      r = Keel({"predict", "--model", "m", "--data", "score.csv", "--out", out, "--chunk-rows",
                "128", "--keep-inputs", "--shard", absl::StrCat(i, "/3"), "--json"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      json summary = json::parse(r.out);
      EXPECT_EQ(summary["shard"]["first_row"], rows);
      rows += summary["rows"].get<int64_t>();
      EXPECT_NEAR(summary["rows"].get<double>(), 2000.0 / 3, 1);
      const std::string text = Read(out);
      joined += std::string(ext) == ".csv" && i > 1 ? Body(text) : text;
    }
    EXPECT_EQ(rows, 2000);
    if (std::string(ext) == ".csv") {
      EXPECT_EQ(joined, all);
    } else {
      r = Keel({"predict", "--model", "m", "--data", "score.csv", "--out", "all.jsonl",
                "--keep-inputs"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(joined, Read("all.jsonl"));
    }
  }
  // A dataset is sharded the same way.
  std::string joined;
  for (int i = 1; i <= 2; ++i) {
    const std::string out = absl::StrCat("lake", i, ".csv");
    r = Keel({"predict", "--model", "m", "--data", "d", "--out", out, "--shard",
              absl::StrCat(i, "/2")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    joined += i > 1 ? Body(Read(out)) : Read(out);
  }
  r = Keel({"predict", "--model", "m", "--data", "d", "--out", "lake.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(joined, Read("lake.csv"));
}

TEST_F(PredictCliTest, BadShardIsAUsageError) {
  for (const char* bad : {"3/2", "0/2", "x", "1/0", "1/2/3"}) {
    CommandResult r = Keel({"predict", "--model", "m", "--data", "data.csv", "--out", "o.csv",
                            "--shard", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << r.err;
    EXPECT_THAT(r.err, HasSubstr(absl::StrCat("--shard ", bad, ": "))) << bad;
  }
  CommandResult r = Keel({"predict", "--model", "m", "--data", "data.csv", "--out", "o.csv",
                          "--shard", "3/2"});
  EXPECT_THAT(r.err, HasSubstr("need 1 <= I <= N"));
  EXPECT_FALSE(fs::exists(Path("o.csv")));
}

TEST_F(PredictCliTest, MissingColumnIsNamed) {
  ASSERT_TRUE(WriteFileAtomic(Path("few.csv"), "x1,x2,x4\n1,2,3\n").ok());
  CommandResult r = Keel({"predict", "--model", "m", "--data", "few.csv", "--out", "o.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("few.csv: lacks column the model needs: x3 (float64); it has: "
                               "x1, x2, x4"));
  EXPECT_FALSE(fs::exists(Path("o.csv")));
}

TEST_F(PredictCliTest, BadValueLateInTheFileLeavesNoOutput) {
  std::string csv = MakeCsv(3000, 14);
  csv += "oops,1,1,1,Paris,0\n";
  ASSERT_TRUE(WriteFileAtomic(Path("bad.csv"), csv).ok());
  CommandResult r = Keel({"predict", "--model", "m", "--data", "bad.csv", "--out", "o.csv",
                          "--chunk-rows", "100"});
  EXPECT_EQ(r.exit_code, 1);
  // Types come from the model, so the error names the cell and its type.
  EXPECT_THAT(r.err, HasSubstr("bad.csv:3002:1: value 'oops' in column 'x1' is not a valid "
                               "float64"));
  EXPECT_FALSE(fs::exists(Path("o.csv")));
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_FALSE(IsAtomicTempFileName(entry.path().filename().string())) << entry.path();
  }
}

TEST_F(PredictCliTest, UnknownOutputFormatIsAUsageError) {
  CommandResult r = Keel({"predict", "--model", "m", "--data", "data.csv", "--out", "o.xlsx"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--out o.xlsx: known formats: .csv, .jsonl, .parquet, .kcol"));
}

// Runs keel and returns its peak resident set (ru_maxrss, KiB) from wait4.
int64_t PeakRssKib(const std::vector<std::string>& args, const std::string& cwd) {
  std::vector<std::string> full = {KEEL_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("KEEL_", 0) != 0) env_strings.push_back(*e);
  }
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return -1;
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return -1;
  }
  return usage.ru_maxrss;
}

TEST_F(PredictCliTest, MemoryStaysFlatOnAnInputManyTimesTheChunk) {
  // About 90 MB of CSV (2M rows); loading it whole would cost well over
  // the bound (the parsed table alone is ~75 MB, plus the output).
  const int64_t rows = 2'000'000;
  std::string big = MakeCsv(rows, 15);
  ASSERT_GT(big.size(), 80u << 20);
  ASSERT_TRUE(WriteFileAtomic(Path("big.csv"), big).ok());
  big = std::string();
  const int64_t small_kib = PeakRssKib(
      {"predict", "--model", "m", "--data", "data.csv", "--out", "small.csv"}, dir_.path());
  const int64_t big_kib = PeakRssKib(
      {"predict", "--model", "m", "--data", "big.csv", "--out", "big_out.csv"}, dir_.path());
  ASSERT_GT(small_kib, 0);
  ASSERT_GT(big_kib, 0);
  EXPECT_LT(big_kib - small_kib, 48 * 1024)
      << "peak RSS " << big_kib / 1024 << " MiB on the big input against " << small_kib / 1024
      << " MiB on a small one";
  // Every row was scored.
  int64_t lines = 0;
  for (char c : Read("big_out.csv")) lines += c == '\n';
  EXPECT_EQ(lines, rows + 1);
}

}  // namespace
}  // namespace keel
