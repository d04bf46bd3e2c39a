// Registers the learners of learn/linear: linear (OLS, ridge), lasso
// (elastic net), logistic, kmeans and pca. Objectives and parameters:
// keel/learn/linear/README.md.
#ifndef KEEL_LEARN_LINEAR_REGISTER_H_
#define KEEL_LEARN_LINEAR_REGISTER_H_

#include "keel/learn/learner.h"

namespace keel::learn {

// Adds the five learners to `registry` (replacing any of the same name).
void RegisterLinearLearners(LearnerRegistry& registry);

}  // namespace keel::learn

#endif  // KEEL_LEARN_LINEAR_REGISTER_H_
