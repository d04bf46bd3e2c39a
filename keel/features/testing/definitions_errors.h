// Test helpers for features.yaml parse errors: the message of parsing a text
// as "f.yaml", and a text with one part replaced.
#ifndef KEEL_FEATURES_TESTING_DEFINITIONS_ERRORS_H_
#define KEEL_FEATURES_TESTING_DEFINITIONS_ERRORS_H_

#include <string>

#include "gtest/gtest.h"
#include "keel/features/definitions.h"

namespace keel::testing {

// "ok", or the error message of FeatureDefinitions::Parse(yaml, "f.yaml").
inline std::string DefinitionsErrorOf(const std::string& yaml) {
  StatusOr<features::FeatureDefinitions> d = features::FeatureDefinitions::Parse(yaml, "f.yaml");
  return d.ok() ? "ok" : std::string(d.status().message());
}

// `text` with the first `from` replaced by `to` (a test failure if absent).
inline std::string ReplaceFirst(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

}  // namespace keel::testing

#endif  // KEEL_FEATURES_TESTING_DEFINITIONS_ERRORS_H_
