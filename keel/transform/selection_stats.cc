#include "keel/transform/selection_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "keel/transform/column_util.h"

namespace keel::transform::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kTiny = 1e-300;
constexpr double kEps = 1e-16;

// Continued fraction of the incomplete beta function (modified Lentz).
double BetaFraction(double a, double b, double x) {
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::abs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 100000; ++m) {
    const int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::abs(del - 1) < kEps) break;
  }
  return h;
}

// I_x(a, b), with y = 1 - x given separately for precision near 1.
double RegularizedBeta(double x, double y, double a, double b) {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log(y));
  if (x < (a + 1) / (a + b + 2)) return front * BetaFraction(a, b, x) / a;
  return 1 - front * BetaFraction(b, a, y) / b;
}

// Q(a, x), the upper regularised incomplete gamma function.
double GammaQ(double a, double x) {
  if (x <= 0) return 1;
  const double log_front = -x + a * std::log(x) - std::lgamma(a);
  if (x < a + 1) {  // series for P
    double ap = a, del = 1 / a, sum = del;
    for (int n = 0; n < 100000; ++n) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (std::abs(del) < std::abs(sum) * kEps) break;
    }
    return 1 - sum * std::exp(log_front);
  }
  double b = x + 1 - a, c = 1 / kTiny, d = 1 / b, h = d;  // continued fraction for Q
  for (int i = 1; i <= 100000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::abs(del - 1) < kEps) break;
  }
  return std::exp(log_front) * h;
}

double Sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

}  // namespace

double Digamma(double x) {
  double r = 0;
  while (x < 10) {
    r -= 1 / x;
    x += 1;
  }
  const double f = 1 / (x * x);
  return r + std::log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

double FSurvival(double f, double dfn, double dfd) {
  if (std::isnan(f)) return kNaN;
  if (f <= 0) return 1;
  if (std::isinf(f)) return 0;
  const double denom = dfd + dfn * f;
  return RegularizedBeta(dfd / denom, dfn * f / denom, dfd / 2, dfn / 2);
}

double ChiSquareSurvival(double x, double k) {
  if (std::isnan(x)) return kNaN;
  if (std::isinf(x)) return 0;
  return GammaQ(k / 2, x / 2);
}

std::vector<Score> FClassif(const std::vector<std::vector<double>>& columns,
                            const std::vector<int>& classes, int num_classes) {
  const size_t n = classes.size();
  std::vector<double> count(num_classes, 0);
  for (int c : classes) count[c] += 1;
  int present = 0;
  for (double c : count) present += c > 0;
  std::vector<Score> out;
  for (const std::vector<double>& x : columns) {
    // scipy.stats.f_oneway's arithmetic, as sklearn's f_oneway spells it.
    std::vector<double> sum(num_classes, 0), sq(num_classes, 0);
    for (size_t i = 0; i < n; ++i) {
      sum[classes[i]] += x[i];
      sq[classes[i]] += x[i] * x[i];
    }
    const double ss_alldata = Sum(sq);
    const double sum_all = Sum(sum);
    const double square_of_sums_alldata = sum_all * sum_all;
    const double sstot = ss_alldata - square_of_sums_alldata / static_cast<double>(n);
    double ssbn = 0;
    for (int c = 0; c < num_classes; ++c) {
      if (count[c] > 0) ssbn += sum[c] * sum[c] / count[c];
    }
    ssbn -= square_of_sums_alldata / static_cast<double>(n);
    const double sswn = sstot - ssbn;
    const double dfbn = present - 1, dfwn = static_cast<double>(n) - present;
    const double msb = ssbn / dfbn, msw = sswn / dfwn;
    const double f = msb / msw;
    out.push_back({f, FSurvival(f, dfbn, dfwn)});
  }
  return out;
}

std::vector<Score> FRegression(const std::vector<std::vector<double>>& columns,
                               const std::vector<double>& y) {
  const double n = static_cast<double>(y.size());
  const double y_mean = Sum(y) / n;
  std::vector<double> yc(y.size());
  double y_norm = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    yc[i] = y[i] - y_mean;
    y_norm += yc[i] * yc[i];
  }
  y_norm = std::sqrt(y_norm);
  const double dof = n - 2;
  std::vector<Score> out;
  for (const std::vector<double>& x : columns) {
    const double mean = Sum(x) / n;
    double sq = 0, dot = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      sq += x[i] * x[i];
      dot += yc[i] * x[i];
    }
    const double x_norm = std::sqrt(sq - n * mean * mean);
    const double r = dot / y_norm / x_norm;
    const double r2 = r * r;
    double f = r2 / (1 - r2) * dof;
    double p = FSurvival(f, 1, dof);
    // force_finite=True: a perfect fit gets the largest double, p 0; an
    // undefined correlation gets 0, p 1.
    if (!std::isfinite(f)) {
      if (std::abs(r2 - 1.0) <= 1e-8 + 1e-5) {
        f = std::numeric_limits<double>::max();
        p = 0;
      } else if (std::isnan(f)) {
        f = 0;
        p = 1;
      }
    }
    out.push_back({f, p});
  }
  return out;
}

std::vector<Score> Chi2(const std::vector<std::vector<double>>& columns,
                        const std::vector<int>& classes, int num_classes) {
  const double n = static_cast<double>(classes.size());
  std::vector<double> class_count(num_classes, 0);
  for (int c : classes) class_count[c] += 1;
  // LabelBinarizer: two classes are one column, then [1 - Y, Y]: still one
  // row per class; classes absent from the data have no row.
  int k = 0;
  for (double c : class_count) k += c > 0;
  std::vector<Score> out;
  for (const std::vector<double>& x : columns) {
    std::vector<double> observed(num_classes, 0);
    for (size_t i = 0; i < x.size(); ++i) observed[classes[i]] += x[i];
    const double feature_count = Sum(x);
    double chisq = 0;
    for (int c = 0; c < num_classes; ++c) {
      if (class_count[c] == 0) continue;
      const double expected = class_count[c] / n * feature_count;
      const double d = observed[c] - expected;
      chisq += d * d / expected;
    }
    out.push_back({chisq, ChiSquareSurvival(chisq, k - 1)});
  }
  return out;
}

namespace {

// A standard normal draw (Marsaglia's polar method on a 64-bit Mersenne
// Twister), the same on every platform.
class Normal {
 public:
  explicit Normal(uint64_t seed) : rng_(seed) {}
  double Next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = Uniform() * 2 - 1;
      v = Uniform() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    const double m = std::sqrt(-2 * std::log(s) / s);
    spare_ = v * m;
    has_spare_ = true;
    return u * m;
  }

 private:
  double Uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  std::mt19937_64 rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// The number of v in sorted `all` with |v - x| <= r.
int64_t CountWithin(const std::vector<double>& all, double x, double r) {
  auto lo = std::partition_point(all.begin(), all.end(),
                                 [&](double v) { return v < x && x - v > r; });
  auto hi = std::partition_point(lo, all.end(), [&](double v) { return v <= x || v - x <= r; });
  return hi - lo;
}

}  // namespace

double MutualInfoClassif(const std::vector<double>& column, const std::vector<int>& classes,
                         int num_classes, int n_neighbors, uint64_t seed) {
  const size_t n = column.size();
  // sklearn's scale(with_mean=False): divide by the population standard
  // deviation (1 when it is 0); then the noise.
  const double mean = Sum(column) / static_cast<double>(n);
  double var = 0;
  for (double v : column) var += (v - mean) * (v - mean);
  double sd = std::sqrt(var / static_cast<double>(n));
  if (sd < 10 * std::numeric_limits<double>::epsilon()) sd = 1;
  std::vector<double> x(n);
  double mean_abs = 0;
  for (size_t i = 0; i < n; ++i) {
    x[i] = column[i] / sd;
    mean_abs += std::abs(x[i]);
  }
  const double noise = 1e-10 * std::max(1.0, mean_abs / static_cast<double>(n));
  Normal normal(seed);
  for (double& v : x) v += noise * normal.Next();

  // Per class: the distance to the k-th nearest neighbour of the same class.
  std::vector<std::vector<size_t>> members(num_classes);
  for (size_t i = 0; i < n; ++i) members[classes[i]].push_back(i);
  std::vector<double> radius(n, 0);
  std::vector<int> k_of(n, 0);
  for (auto& rows : members) {
    if (rows.size() < 2) continue;
    const int k = std::min<int>(n_neighbors, static_cast<int>(rows.size()) - 1);
    std::sort(rows.begin(), rows.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
    for (size_t p = 0; p < rows.size(); ++p) {
      const double xi = x[rows[p]];
      int64_t l = static_cast<int64_t>(p) - 1, r = static_cast<int64_t>(p) + 1;
      double d = 0;
      for (int j = 0; j < k; ++j) {
        const double dl = l >= 0 ? xi - x[rows[l]] : HUGE_VAL;
        const double dr = r < static_cast<int64_t>(rows.size()) ? x[rows[r]] - xi : HUGE_VAL;
        if (dl <= dr) {
          d = dl;
          --l;
        } else {
          d = dr;
          ++r;
        }
      }
      radius[rows[p]] = std::nextafter(d, 0.0);
      k_of[rows[p]] = k;
    }
  }
  // Points whose class has one member are left out.
  std::vector<double> all;
  for (size_t i = 0; i < n; ++i) {
    if (members[classes[i]].size() > 1) all.push_back(x[i]);
  }
  std::sort(all.begin(), all.end());
  const double m = static_cast<double>(all.size());
  double sum_k = 0, sum_label = 0, sum_m = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t count = members[classes[i]].size();
    if (count < 2) continue;
    sum_k += Digamma(k_of[i]);
    sum_label += Digamma(static_cast<double>(count));
    sum_m += Digamma(static_cast<double>(CountWithin(all, x[i], radius[i])));
  }
  if (all.empty()) return 0;
  const double mi = Digamma(m) + sum_k / m - sum_label / m - sum_m / m;
  return std::max(0.0, mi);
}

std::vector<bool> KBestMask(const std::vector<double>& scores, int64_t k) {
  const size_t n = scores.size();
  std::vector<bool> mask(n, false);
  if (k <= 0) return mask;
  std::vector<double> clean(scores);
  for (double& s : clean) {
    if (std::isnan(s)) s = std::numeric_limits<double>::lowest();
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return clean[a] < clean[b]; });
  for (size_t i = n > static_cast<size_t>(k) ? n - k : 0; i < n; ++i) mask[order[i]] = true;
  return mask;
}

std::vector<bool> PercentileMask(const std::vector<double>& scores, double percentile) {
  const size_t n = scores.size();
  if (percentile >= 100) return std::vector<bool>(n, true);
  std::vector<bool> mask(n, false);
  if (percentile <= 0 || n == 0) return mask;
  std::vector<double> clean(scores);
  for (double& s : clean) {
    if (std::isnan(s)) s = std::numeric_limits<double>::lowest();
  }
  std::vector<double> sorted(clean);
  std::sort(sorted.begin(), sorted.end());
  const double threshold = SortedQuantile(sorted, (100 - percentile) / 100);
  int64_t kept = 0;
  for (size_t i = 0; i < n; ++i) {
    mask[i] = clean[i] > threshold;
    kept += mask[i];
  }
  const int64_t max_feats = static_cast<int64_t>(static_cast<double>(n) * percentile / 100);
  for (size_t i = 0; i < n && kept < max_feats; ++i) {
    if (clean[i] == threshold) {
      mask[i] = true;
      ++kept;
    }
  }
  return mask;
}

double PairwisePearson(const std::vector<double>& x, const std::vector<uint8_t>& x_present,
                       const std::vector<double>& y, const std::vector<uint8_t>& y_present) {
  double n = 0, mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!x_present[i] || !y_present[i]) continue;
    n += 1;
    mx += x[i];
    my += y[i];
  }
  if (n < 2) return kNaN;
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!x_present[i] || !y_present[i]) continue;
    const double dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx == 0 || syy == 0) return kNaN;
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

namespace {

inline double SoftThreshold(double z, double t) {
  return z > t ? z - t : (z < -t ? z + t : 0.0);
}

// Weighted lasso by cyclic coordinate descent on residuals r = z - Xw - b:
// minimise 1/2 sum_i wt_i r_i^2 + lambda |w|_1; b unpenalised.
void WeightedLasso(const std::vector<std::vector<double>>& x, const std::vector<double>& wt,
                   double lambda, std::vector<double>* w, double* b, std::vector<double>* r) {
  const size_t p = x.size(), n = wt.size();
  std::vector<double> den(p, 0);
  for (size_t j = 0; j < p; ++j) {
    for (size_t i = 0; i < n; ++i) den[j] += wt[i] * x[j][i] * x[j][i];
  }
  const double wsum = Sum(wt);
  for (int sweep = 0; sweep < 10000; ++sweep) {
    double max_change = 0, max_w = 0;
    double num_b = 0;
    for (size_t i = 0; i < n; ++i) num_b += wt[i] * (*r)[i];
    const double db = num_b / wsum;
    *b += db;
    for (size_t i = 0; i < n; ++i) (*r)[i] -= db;
    for (size_t j = 0; j < p; ++j) {
      if (den[j] == 0) continue;
      const double old = (*w)[j];
      double num = 0;
      for (size_t i = 0; i < n; ++i) num += wt[i] * x[j][i] * ((*r)[i] + x[j][i] * old);
      const double now = SoftThreshold(num, lambda) / den[j];
      if (now != old) {
        for (size_t i = 0; i < n; ++i) (*r)[i] -= x[j][i] * (now - old);
        (*w)[j] = now;
      }
      max_change = std::max(max_change, std::abs(now - old) * std::sqrt(den[j]));
      max_w = std::max(max_w, std::abs(now) * std::sqrt(den[j]));
    }
    max_change = std::max(max_change, std::abs(db) * std::sqrt(wsum));
    if (max_change <= 1e-12 * std::max(1.0, max_w)) break;
  }
}

}  // namespace

std::vector<double> LassoCoefficients(const std::vector<std::vector<double>>& columns,
                                      const std::vector<double>& y, double alpha) {
  const size_t n = y.size();
  std::vector<double> w(columns.size(), 0), r(y), wt(n, 1.0);
  double b = 0;
  // 1/(2n) |r|^2 + alpha |w|_1  ==  (1/2 |r|^2 + n alpha |w|_1) / n.
  WeightedLasso(columns, wt, alpha * static_cast<double>(n), &w, &b, &r);
  return w;
}

std::vector<double> L1LogisticCoefficients(const std::vector<std::vector<double>>& columns,
                                           const std::vector<double>& y01, double c) {
  // Proximal Newton (as glmnet): a weighted lasso on the quadratic
  // approximation of the log-loss, repeated until the coefficients settle.
  // C * loss + |w|_1 has the minimiser of loss + (1/C) |w|_1.
  const size_t n = y01.size(), p = columns.size();
  std::vector<double> w(p, 0), eta(n, 0), wt(n), r(n);
  double b = 0;
  for (int outer = 0; outer < 200; ++outer) {
    for (size_t i = 0; i < n; ++i) {
      const double prob = 1 / (1 + std::exp(-eta[i]));
      wt[i] = std::max(prob * (1 - prob), 1e-5);
      r[i] = (y01[i] - prob) / wt[i];  // z - eta
    }
    std::vector<double> w_old = w;
    const double b_old = b;
    WeightedLasso(columns, wt, 1 / c, &w, &b, &r);
    double change = std::abs(b - b_old), size = std::abs(b);
    for (size_t j = 0; j < p; ++j) {
      change = std::max(change, std::abs(w[j] - w_old[j]));
      size = std::max(size, std::abs(w[j]));
    }
    for (size_t i = 0; i < n; ++i) {
      eta[i] = b;
      for (size_t j = 0; j < p; ++j) eta[i] += columns[j][i] * w[j];
    }
    if (change <= 1e-10 * std::max(1.0, size)) break;
  }
  return w;
}

}  // namespace keel::transform::stats
