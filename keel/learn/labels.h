// Class labels: a target column's distinct values become class indices
// 0..k-1, in sorted order (numbers numerically, false before true, strings
// bytewise), as scikit-learn's LabelEncoder orders them.
#ifndef KEEL_LEARN_LABELS_H_
#define KEEL_LEARN_LABELS_H_

#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/column.h"
#include "keel/table/types.h"

namespace keel::learn {

struct ClassLabels {
  DataType type = DataType::kInt64;
  // Column::ValueToString of each class, by index.
  std::vector<std::string> values;
};

// The sorted distinct values of `target`. Errors: InvalidArgument naming
// the column when it has nulls (the row of the first) or is a float column
// with non-integer values (use a regression task).
StatusOr<ClassLabels> FindClassLabels(const Column& target, std::string_view column_name);

// Each row's class index as a double. Errors: InvalidArgument for a null or
// a value not among `labels` (naming the row and the value).
StatusOr<std::vector<double>> EncodeLabels(const Column& target, std::string_view column_name,
                                           const ClassLabels& labels);

// A column of type labels.type holding the label of each class index.
StatusOr<Column> DecodeLabels(std::span<const int> classes, const ClassLabels& labels);

}  // namespace keel::learn

#endif  // KEEL_LEARN_LABELS_H_
