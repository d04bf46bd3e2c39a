// HyperLogLog: an estimate of the number of distinct values in constant
// memory (2^precision one-byte registers), for dataset profiles.
#ifndef KEEL_LAKE_HYPERLOGLOG_H_
#define KEEL_LAKE_HYPERLOGLOG_H_

#include <cstdint>
#include <string_view>
#include <vector>

namespace keel {

// Relative standard error about 1.04 / sqrt(2^precision): 0.8% at the
// default 14. Small counts use linear counting, so they are nearly exact.
// Not thread-safe; Merge() combines sketches built on separate threads.
class HyperLogLog {
 public:
  explicit HyperLogLog(int precision = 14);

  // Adds a value by its 64-bit hash (use the Hash* helpers below).
  void AddHash(uint64_t hash);
  // Adds the registers of `other`, which must have the same precision.
  void Merge(const HyperLogLog& other);
  // The estimated number of distinct values added.
  int64_t Estimate() const;

  // Well-mixed, deterministic (the same on every run and machine) hashes.
  static uint64_t HashInt(uint64_t value);
  static uint64_t HashBytes(std::string_view bytes);

 private:
  int precision_;
  std::vector<uint8_t> registers_;
};

}  // namespace keel

#endif  // KEEL_LAKE_HYPERLOGLOG_H_
