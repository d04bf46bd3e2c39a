// Internal to keel/transform: the statistics behind the feature selection
// steps, computed as scikit-learn 1.2 and scipy compute them (f_classif,
// f_regression, chi2, mutual_info_classif, SelectKBest's masks), plus the
// special functions they need and a small L1-regularised linear estimator.
#ifndef KEEL_TRANSFORM_SELECTION_STATS_H_
#define KEEL_TRANSFORM_SELECTION_STATS_H_

#include <cstdint>
#include <vector>

namespace keel::transform::stats {

// psi(x) for x > 0 (asymptotic series after recurrence; error < 1e-13).
double Digamma(double x);
// scipy.special.fdtrc(dfn, dfd, f) = P(F(dfn, dfd) > f); NaN for NaN f.
double FSurvival(double f, double dfn, double dfd);
// scipy.special.chdtrc(k, x) = P(chi2(k) > x); NaN for NaN x.
double ChiSquareSurvival(double x, double k);

struct Score {
  double score;
  double p_value;  // NaN when the test has none (mutual information)
};

// Columns are the features, each of n values; classes[i] in [0, num_classes).
// sklearn.feature_selection.f_classif (one-way ANOVA F, scipy's f_oneway
// arithmetic): a feature constant within every class gives NaN or inf.
std::vector<Score> FClassif(const std::vector<std::vector<double>>& columns,
                            const std::vector<int>& classes, int num_classes);
// sklearn.feature_selection.f_regression (center=True, force_finite=True).
std::vector<Score> FRegression(const std::vector<std::vector<double>>& columns,
                               const std::vector<double>& y);
// sklearn.feature_selection.chi2; values must be >= 0 (checked by the
// caller). An all-zero feature gives NaN.
std::vector<Score> Chi2(const std::vector<std::vector<double>>& columns,
                        const std::vector<int>& classes, int num_classes);
// sklearn.feature_selection.mutual_info_classif for one continuous feature
// (Ross's k-nearest-neighbour estimator, n_neighbors): the feature is
// divided by its standard deviation and gets noise of 1e-10 * max(1,
// mean |x|) standard deviations, as sklearn adds, drawn from Keel's own
// generator seeded with `seed` (so not numpy's draws).
double MutualInfoClassif(const std::vector<double>& column, const std::vector<int>& classes,
                         int num_classes, int n_neighbors, uint64_t seed);

// SelectKBest's mask: the k best scores, NaN counting as the lowest; ties
// resolved as numpy's stable argsort (the later column wins).
std::vector<bool> KBestMask(const std::vector<double>& scores, int64_t k);
// SelectPercentile's mask (percentile in [0, 100]).
std::vector<bool> PercentileMask(const std::vector<double>& scores, double percentile);

// Pearson correlation over the rows where both are present (present[i] of
// each); NaN when fewer than 2 such rows or a side is constant on them.
double PairwisePearson(const std::vector<double>& x, const std::vector<uint8_t>& x_present,
                       const std::vector<double>& y, const std::vector<uint8_t>& y_present);

// L1-regularised linear models with an unpenalised intercept, on the
// columns as given (no scaling):
//   lasso:    minimise 1/(2n) |y - Xw - b|^2 + alpha |w|_1  (sklearn Lasso)
//   logistic: minimise C * sum logloss(y, Xw + b) + |w|_1, y in {0, 1}
//             (sklearn LogisticRegression(penalty="l1"), saga's objective)
// Solved by cyclic coordinate descent (lasso) and FISTA (logistic) to a
// tight tolerance. Returns the coefficients w.
std::vector<double> LassoCoefficients(const std::vector<std::vector<double>>& columns,
                                      const std::vector<double>& y, double alpha);
std::vector<double> L1LogisticCoefficients(const std::vector<std::vector<double>>& columns,
                                           const std::vector<double>& y01, double c);

}  // namespace keel::transform::stats

#endif  // KEEL_TRANSFORM_SELECTION_STATS_H_
