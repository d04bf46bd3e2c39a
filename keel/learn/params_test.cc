#include "keel/learn/params.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::learn {
namespace {

using ::testing::HasSubstr;

const ParamSpec kSpecs[] = {
    {.name = "eta",
     .type = ParamType::kFloat,
     .min = 1e-4,
     .max = 1,
     .default_value = "0.3",
     .log_scale = true},
    {.name = "max_depth", .type = ParamType::kInt, .min = 1, .max = 20, .default_value = "6"},
    {.name = "fit_intercept", .type = ParamType::kBool, .default_value = "true"},
    {.name = "penalty",
     .type = ParamType::kChoice,
     .default_value = "l2",
     .choices = {"l1", "l2", "elasticnet"}},
};

TEST(ParamsTest, DefaultsAndOverrides) {
  StatusOr<Params> p = ParseParams("gbdt", kSpecs, {"max_depth=3", "penalty=l1"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->Float("eta"), 0.3);
  EXPECT_EQ(p->Int("max_depth"), 3);
  EXPECT_TRUE(p->Bool("fit_intercept"));
  EXPECT_EQ(p->Choice("penalty"), "l1");
  EXPECT_EQ(p->ToJson(), R"({"eta":0.3,"fit_intercept":true,"max_depth":3,"penalty":"l1"})");
}

TEST(ParamsTest, UnknownNameSuggestsTheClosest) {
  StatusOr<Params> p = ParseParams("gbdt", kSpecs, {"max_dept=3"});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(std::string(p.status().message()),
            "unknown parameter 'max_dept' for gbdt. Did you mean 'max_depth'? Valid parameters: "
            "eta (number in [0.0001, 1], default 0.3), max_depth (integer in [1, 20], default 6), "
            "fit_intercept (true or false, default true), penalty (l1|l2|elasticnet, default "
            "l2).");
}

TEST(ParamsTest, BadValuesNameTheParameter) {
  EXPECT_EQ(std::string(ParseParams("gbdt", kSpecs, {"max_depth=3.5"}).status().message()),
            "parameter 'max_depth' of gbdt: '3.5' is not an integer");
  EXPECT_EQ(std::string(ParseParams("gbdt", kSpecs, {"eta=2"}).status().message()),
            "parameter 'eta' of gbdt: value 2 is outside the valid range [0.0001, 1]");
  EXPECT_EQ(std::string(ParseParams("gbdt", kSpecs, {"fit_intercept=yes"}).status().message()),
            "parameter 'fit_intercept' of gbdt: 'yes' is not true or false");
  EXPECT_THAT(ParseParams("gbdt", kSpecs, {"penalty=l3"}).status().message(),
              HasSubstr("'l3' is not one of: l1, l2, elasticnet."));
  EXPECT_THAT(ParseParams("gbdt", kSpecs, {"eta"}).status().message(),
              HasSubstr("has no value: write it as name=value, for example eta=0.3"));
}

}  // namespace
}  // namespace keel::learn
