// Gathering rows of a column by index where an index may be "no row" (-1),
// which becomes a null: the last step of joins.
#ifndef KEEL_FEATURES_GATHER_H_
#define KEEL_FEATURES_GATHER_H_

#include <cstdint>
#include <span>

#include "keel/base/thread_pool.h"
#include "keel/table/column.h"

namespace keel::features {

// A column of rows.size() values: value i is column[rows[i]], or null when
// rows[i] < 0 or that value is null. Every non-negative index must be in
// [0, column.length()). Fixed-width types are gathered in parallel on `pool`.
Column GatherOrNull(const Column& column, std::span<const int64_t> rows, ThreadPool& pool);

}  // namespace keel::features

#endif  // KEEL_FEATURES_GATHER_H_
