// Test helper: seeded synthetic data for the tree tests, with NaNs in the
// features so that missing-value routing is exercised.
#ifndef KEEL_LEARN_TREES_TEST_DATA_H_
#define KEEL_LEARN_TREES_TEST_DATA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "keel/learn/learner.h"
#include "keel/learn/matrix.h"

namespace keel::learn::trees {

struct TestData {
  Matrix x;
  std::vector<double> y;
  std::vector<std::string> names;  // "x0", "x1", ...
};

// `rows` x `cols` features (cols >= 4), about `nan_fraction` of them NaN,
// and labels that depend non-linearly on the first four features (plus
// noise): real values (kRegression, scaled by `scale`), 0/1 (kBinary) or
// 0..num_classes-1 (kMulticlass).
TestData MakeTestData(int64_t rows, int64_t cols, Task task, int num_classes, uint32_t seed,
                      double nan_fraction = 0.1, double scale = 1.0);

// `x` as CSV without a header, NaN written as "nan", 17 significant digits.
std::string MatrixToCsv(const Matrix& x);
// Writes `text` to `path`; aborts the test binary on failure.
void WriteTextFile(const std::string& path, const std::string& text);

}  // namespace keel::learn::trees

#endif  // KEEL_LEARN_TREES_TEST_DATA_H_
