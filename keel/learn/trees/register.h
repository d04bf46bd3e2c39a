// Adds this folder's learners ("gbdt", "rf") to a registry; called from the
// learn module's builtin list.
#ifndef KEEL_LEARN_TREES_REGISTER_H_
#define KEEL_LEARN_TREES_REGISTER_H_

#include "keel/learn/learner.h"

namespace keel::learn {

void RegisterTreeLearners(LearnerRegistry& registry);

}  // namespace keel::learn

#endif  // KEEL_LEARN_TREES_REGISTER_H_
