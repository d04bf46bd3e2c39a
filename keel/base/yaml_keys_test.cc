#include "keel/base/yaml_keys.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

std::string Where(const YAML::Node& n) {
  return "f.yaml:" + std::to_string(n.Mark().line + 1) + ":" + std::to_string(n.Mark().column + 1);
}

std::string Check(const std::string& yaml) {
  const Status s = CheckYamlKeys(YAML::Load(yaml), {"name", "type"}, "entity 'e': ", Where);
  return s.ok() ? "ok" : std::string(s.message());
}

TEST(CheckYamlKeysTest, UnknownAndRepeatedKeysAreNamedWithTheirPlace) {
  EXPECT_EQ(Check("name: a\ntype: b\n"), "ok");
  EXPECT_EQ(Check("name: a\ntpye: b\n"),
            "f.yaml:2:1: entity 'e': unknown key 'tpye'. Did you mean 'type'? Keys: name, type");
  EXPECT_EQ(Check("name: a\nname: b\n"), "f.yaml:2:1: entity 'e': key 'name' appears twice");
}

std::string Bool(const std::string& yaml) {
  const StatusOr<std::optional<bool>> b = YamlBool(YAML::Load(yaml), "push", "source 's': ", Where);
  if (!b.ok()) return std::string(b.status().message());
  return !b->has_value() ? "absent" : **b ? "true" : "false";
}

TEST(YamlBoolTest, TrueFalseAbsentAndMistakes) {
  EXPECT_EQ(Bool("push: true"), "true");
  EXPECT_EQ(Bool("push: FALSE"), "false");
  EXPECT_EQ(Bool("push: True"), "true");
  EXPECT_EQ(Bool("name: x"), "absent");
  EXPECT_EQ(Bool("push:"), "absent");
  EXPECT_EQ(Bool("name: x\npush: yes"),
            "f.yaml:2:7: source 's': push: expected true or false, found 'yes'");
  EXPECT_EQ(Bool("push: [1]"),
            "f.yaml:1:7: source 's': push: expected true or false, found 'a list'");
}

}  // namespace
}  // namespace keel
