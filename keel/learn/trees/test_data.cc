#include "keel/learn/trees/test_data.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

namespace keel::learn::trees {

TestData MakeTestData(int64_t rows, int64_t cols, Task task, int num_classes, uint32_t seed,
                      double nan_fraction, double scale) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  TestData data{Matrix(rows, cols), std::vector<double>(static_cast<size_t>(rows)), {}};
  for (int64_t c = 0; c < cols; ++c) data.names.push_back("x" + std::to_string(c));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      data.x.at(r, c) = uniform(rng) < nan_fraction ? std::nan("") : normal(rng) * (1.0 + c);
    }
    auto v = [&](int64_t c) {
      const double value = data.x.at(r, c);
      return std::isnan(value) ? 0.5 : value / (1.0 + c);
    };
    const double signal = std::sin(2 * v(0)) + v(1) * v(1) - 0.5 * v(2) +
                          (v(3) > 0.3 ? 1.0 : -0.5) + 0.3 * normal(rng);
    switch (task) {
      case Task::kBinary:
        data.y[r] = signal > 0.6 ? 1 : 0;
        break;
      case Task::kMulticlass: {
        const double t = std::floor((std::tanh(signal - 0.6) + 1) / 2 * num_classes);
        data.y[r] = std::clamp(t, 0.0, static_cast<double>(num_classes - 1));
        break;
      }
      default:
        data.y[r] = signal * scale;
    }
  }
  return data;
}

std::string MatrixToCsv(const Matrix& x) {
  std::string out;
  char buffer[40];
  for (int64_t r = 0; r < x.rows(); ++r) {
    for (int64_t c = 0; c < x.cols(); ++c) {
      if (c > 0) out += ',';
      const double v = x.at(r, c);
      if (std::isnan(v)) {
        out += "nan";
      } else {
        std::snprintf(buffer, sizeof(buffer), "%.17g", v);
        out += buffer;
      }
    }
    out += '\n';
  }
  return out;
}

void WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
  if (!file.good()) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
}

}  // namespace keel::learn::trees
