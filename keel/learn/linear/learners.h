// Factories for the learners of learn/linear, one per file; register.cc
// puts them in a LearnerRegistry. Their models are LinearModel
// (linear_model.h), KMeansModel (kmeans.h) and PcaModel (pca.h).
#ifndef KEEL_LEARN_LINEAR_LEARNERS_H_
#define KEEL_LEARN_LINEAR_LEARNERS_H_

#include <memory>

#include "keel/learn/learner.h"

namespace keel::learn {

std::unique_ptr<Learner> NewLinearRegressionLearner();  // "linear": OLS and ridge
std::unique_ptr<Learner> NewElasticNetLearner();        // "lasso": lasso and elastic net
std::unique_ptr<Learner> NewLogisticLearner();          // "logistic": binary and multinomial
std::unique_ptr<Learner> NewKMeansLearner();            // "kmeans"
std::unique_ptr<Learner> NewPcaLearner();               // "pca"

}  // namespace keel::learn

#endif  // KEEL_LEARN_LINEAR_LEARNERS_H_
