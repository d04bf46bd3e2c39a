// A small, seedable random number generator whose outputs are the same on
// every platform and compiler (std:: distributions are not), for generated
// example data that must be reproducible from a seed.
#ifndef KEEL_DATAGEN_RANDOM_H_
#define KEEL_DATAGEN_RANDOM_H_

#include <cmath>
#include <cstdint>
#include <vector>

namespace keel::datagen {

// SplitMix64: turns any 64-bit value into a well-mixed one; used to seed.
inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// xoshiro256** with portable distributions. Not thread-safe; give each
// thread its own stream (Rng(seed, stream)).
class Rng {
 public:
  explicit Rng(uint64_t seed, uint64_t stream = 0) {
    uint64_t x = SplitMix64(seed ^ SplitMix64(stream + 0x632be59bd9b4e019ULL));
    for (uint64_t& s : s_) {
      x = SplitMix64(x);
      s = x;
    }
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [lo, hi] (hi >= lo).
  int64_t UniformInt(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(span == 0 ? Next() : Next() % span);
  }
  bool Bernoulli(double p) { return Uniform() < p; }
  // Standard normal by Box-Muller (one value per call; simple and portable).
  double Normal() {
    double u1 = Uniform();
    while (u1 <= 0.0) u1 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * Uniform());
  }
  // exp(N(mu, sigma^2)).
  double LogNormal(double mu, double sigma) { return std::exp(mu + sigma * Normal()); }
  // An index drawn with probability proportional to `cumulative` increments
  // (cumulative weights, last element = total).
  size_t Pick(const std::vector<double>& cumulative) {
    const double r = Uniform() * cumulative.back();
    size_t lo = 0, hi = cumulative.size() - 1;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (cumulative[mid] > r) hi = mid; else lo = mid + 1;
    }
    return lo;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Running sums of `weights`, for Rng::Pick.
inline std::vector<double> Cumulative(const std::vector<double>& weights) {
  std::vector<double> out(weights.size());
  double sum = 0;
  for (size_t i = 0; i < weights.size(); ++i) out[i] = (sum += weights[i]);
  return out;
}

}  // namespace keel::datagen

#endif  // KEEL_DATAGEN_RANDOM_H_
