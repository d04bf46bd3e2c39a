// Why a model predicts what it does: permutation importance for any
// supervised bundle (scikit-learn's permutation_importance, to the same
// numbers for the same seed), and per-row SHAP contributions for tree
// models (XGBoost's pred_contribs), as columns a user can read.
//
//   KEEL_ASSIGN_OR_RETURN(PermutationImportanceResult r,
//                         PermutationImportance(bundle, table, {.repeats = 5}));
//   KEEL_ASSIGN_OR_RETURN(Matrix x, bundle.Features(table));
//   KEEL_ASSIGN_OR_RETURN(Table shap, ContributionsTable(bundle, x));
#ifndef KEEL_LEARN_EXPLAIN_H_
#define KEEL_LEARN_EXPLAIN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/learn/bundle.h"
#include "keel/learn/matrix.h"
#include "keel/table/table.h"

namespace keel::learn {

struct PermutationOptions {
  int repeats = 5;  // >= 1: shuffles per column
  // As sklearn's random_state=<int> (0 .. 2^32-1): the same seed shuffles
  // the same rows as permutation_importance does, bit for bit (numpy's
  // legacy RandomState is MT19937, which std::mt19937 reproduces).
  uint64_t seed = 42;
  // false: shuffle each raw input column (manifest inputs) and run the
  // bundle's pipeline, so an input that feeds several features counts once;
  // true: shuffle each model feature (the pipeline's outputs).
  bool features = false;
  // A metric the task reports (metrics.h names: "roc_auc", "accuracy",
  // "log_loss", "r2", "rmse", ...); empty: DefaultImportanceMetric(task).
  std::string metric;
};

struct ColumnImportance {
  std::string name;            // the input column or feature
  double mean = 0;             // importances_mean
  double std = 0;              // importances_std (population, as np.std)
  std::vector<double> values;  // one per repeat (importances[i])
};

struct PermutationImportanceResult {
  std::string metric;
  bool greater_is_better = true;
  double baseline = 0;  // the metric on the unshuffled rows
  // In column order. importance = baseline - shuffled for a metric where
  // greater is better, shuffled - baseline otherwise (sklearn's neg_*
  // scorers), so a larger importance always means a more useful column.
  std::vector<ColumnImportance> columns;
};

// "roc_auc" for binary, "accuracy" for multiclass, "r2" for regression
// (sklearn's default scorers, except AUC for binary: it does not hinge on
// the 0.5 threshold).
std::string DefaultImportanceMetric(Task task);

// Permutation importance of `bundle` on `table`, which holds the target
// column and the inputs. Errors: InvalidArgument for an unsupervised model,
// repeats < 1, a seed >= 2^32, a metric the task does not report (listing
// those it does), or fewer than 2 rows; Evaluate's errors (a missing
// target, an unknown label); the pipeline's and model's errors.
StatusOr<PermutationImportanceResult> PermutationImportance(const Bundle& bundle,
                                                            const Table& table,
                                                            const PermutationOptions& options);

// The names of ContributionsTable's columns: shap_<feature> ... shap_bias
// for binary (log-odds) and regression (the margin); for multiclass the
// same per class, shap_<label>_<feature> ... shap_<label>_bias.
std::vector<std::string> ContributionColumnNames(const Bundle& bundle);

// OK when ContributionsTable can explain `bundle`'s model (a tree model);
// otherwise Unimplemented naming its learner and what to use instead.
Status CheckContributions(const Bundle& bundle);

// SHAP values of each row of `features` (the bundle's feature matrix,
// Bundle::Features) as float64 columns named by ContributionColumnNames.
// Each row's columns (per class for multiclass) sum to the model's raw
// margin. Errors: Unimplemented for a model that is not a tree model
// (naming its learner); InvalidArgument for a wrong feature count.
StatusOr<Table> ContributionsTable(const Bundle& bundle, const Matrix& features);

}  // namespace keel::learn

#endif  // KEEL_LEARN_EXPLAIN_H_
