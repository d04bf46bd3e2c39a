// Generated data shared by the tree benchmarks: `features` standard normal
// columns with 5% NaN and a binary label from a noisy sum of sines, the
// same rows for the same seed.
#ifndef KEEL_BENCH_COMMON_SYNTHETIC_DATA_H_
#define KEEL_BENCH_COMMON_SYNTHETIC_DATA_H_

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "keel/learn/matrix.h"

namespace keel::bench {

inline void GenerateBinary(int64_t rows, int features, uint64_t seed, learn::Matrix* x,
                           std::vector<double>* y) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  *x = learn::Matrix(rows, features);
  y->assign(static_cast<size_t>(rows), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int c = 0; c < features; ++c) {
      const double v = normal(rng);
      x->at(r, c) = uniform(rng) < 0.05 ? std::nan("") : v;
      s += std::sin(v * (1 + c % 3)) / (1 + c % 30);
    }
    (*y)[r] = s + 0.3 * normal(rng) > 0.2 ? 1 : 0;
  }
}

}  // namespace keel::bench

#endif  // KEEL_BENCH_COMMON_SYNTHETIC_DATA_H_
