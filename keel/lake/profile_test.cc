#include "keel/lake/profile.h"

#include <cmath>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/table/csv_reader.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

// pandas and numpy compute the reference numbers from the same file.
constexpr char kPandasScript[] = R"py(
import json, sys
import numpy as np, pandas as pd
df = pd.read_csv(sys.argv[1])
out = {}
for name in df.columns:
    s = df[name].dropna()
    col = {"count": int(s.count()), "nulls": int(df[name].isna().sum()),
           "distinct": int(s.nunique())}
    if s.dtype.kind in "if" and s.dtype != bool:
        counts, edges = np.histogram(s.to_numpy(dtype=float), bins=20)
        col.update(min=float(s.min()), max=float(s.max()), mean=float(s.mean()),
                   std=float(s.std()), hist=[int(c) for c in counts],
                   edges=[float(e) for e in edges])
    if s.dtype.kind in "iOb":
        vc = s.astype(str).value_counts()
        col["top"] = [[str(k).lower() if s.dtype == bool else str(k), int(v)]
                      for k, v in vc.items()]
    out[name] = col
print(json.dumps(out))
)py";

TEST(ProfileTest, MatchesPandas) {
  testing::TempDir dir;
  std::string csv = "qty,price,city,flag\n";
  for (int i = 0; i < 2000; ++i) {
    const int qty = (i * 37) % 101 - 20;
    const std::string price = i % 13 == 0 ? "" : std::to_string((i * 7919) % 1000 / 8.0);
    const char* cities[] = {"paris", "lyon", "lyon", "nice", "nice", "nice", "brest"};
    const std::string city = i % 17 == 0 ? "" : cities[(i * 3) % 7];
    csv += std::to_string(qty) + "," + price + "," + city + "," + (i % 3 ? "true" : "false") + "\n";
  }
  const std::string path = dir.path() + "/p.csv";
  ASSERT_TRUE(WriteFileAtomic(path, csv).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/ref.py", kPandasScript).ok());
  testing::CommandResult py =
      testing::RunCommand({"/usr/bin/python3", dir.path() + "/ref.py", path});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const nlohmann::json ref = nlohmann::json::parse(py.out);

  auto table = ReadCsv(path);
  ASSERT_TRUE(table.ok()) << table.status();
  const TableProfile profile = ProfileTable(*table);
  EXPECT_EQ(profile.rows, 2000);
  ASSERT_EQ(profile.columns.size(), 4u);
  for (const ColumnProfile& c : profile.columns) {
    SCOPED_TRACE(c.name);
    const nlohmann::json& r = ref[c.name];
    EXPECT_EQ(c.count, r["count"].get<int64_t>());
    EXPECT_EQ(c.nulls, r["nulls"].get<int64_t>());
    const double distinct = r["distinct"].get<double>();  // HyperLogLog: within 3%
    EXPECT_NEAR(static_cast<double>(c.distinct_estimate), distinct, 0.03 * distinct);
    if (r.contains("mean")) {
      EXPECT_DOUBLE_EQ(*c.min_number, r["min"].get<double>());
      EXPECT_DOUBLE_EQ(*c.max_number, r["max"].get<double>());
      EXPECT_NEAR(*c.mean, r["mean"].get<double>(), 1e-9 * std::abs(r["mean"].get<double>()));
      EXPECT_NEAR(*c.std, r["std"].get<double>(), 1e-9 * r["std"].get<double>());
      ASSERT_EQ(c.histogram.size(), 20u);
      for (size_t i = 0; i < 20; ++i) {
        EXPECT_EQ(c.histogram[i].count, r["hist"][i].get<int64_t>()) << i;
        EXPECT_DOUBLE_EQ(c.histogram[i].lower, r["edges"][i].get<double>()) << i;
      }
    }
    if (r.contains("top")) {
      // Compare the values whose counts are unique (pandas orders ties arbitrarily).
      ASSERT_FALSE(c.top_values.empty());
      EXPECT_EQ(c.top_values[0].count, r["top"][0][1].get<int64_t>());
      if (r["top"].size() < 2 || r["top"][1][1] != r["top"][0][1]) {
        EXPECT_EQ(c.top_values[0].value, r["top"][0][0].get<std::string>());
      }
      EXPECT_EQ(c.top_values.size(), std::min<size_t>(10, r["top"].size()));
    }
  }
  EXPECT_EQ(profile.columns[0].type, DataType::kInt64);
  EXPECT_EQ(profile.columns[3].type, DataType::kBool);
  EXPECT_EQ(*profile.columns[2].min, "brest");
  EXPECT_EQ(*profile.columns[2].max, "paris");
}

TEST(ProfileTest, AllNullAndConstantColumns) {
  ColumnBuilder nulls(DataType::kFloat64);
  ColumnBuilder constant(DataType::kInt64);
  for (int i = 0; i < 5; ++i) {
    nulls.AppendNull();
    constant.AppendInt64(4);
  }
  ColumnProfile n = ProfileColumn("n", nulls.Finish());
  EXPECT_EQ(n.count, 0);
  EXPECT_EQ(n.nulls, 5);
  EXPECT_FALSE(n.min.has_value());
  EXPECT_FALSE(n.mean.has_value());
  EXPECT_TRUE(n.histogram.empty());
  ColumnProfile c = ProfileColumn("c", constant.Finish());
  EXPECT_EQ(c.distinct_estimate, 1);
  EXPECT_EQ(*c.std, 0.0);
  ASSERT_EQ(c.histogram.size(), 20u);
  EXPECT_DOUBLE_EQ(c.histogram[0].lower, 3.5);  // numpy widens a zero range by 0.5
  EXPECT_EQ(c.histogram[10].count, 5);
}

}  // namespace
}  // namespace keel
