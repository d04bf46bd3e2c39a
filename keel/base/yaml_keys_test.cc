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

}  // namespace
}  // namespace keel
