#include "keel/learn/trees/register.h"

#include <memory>

#include "keel/learn/trees/xgboost_learner.h"

namespace keel::learn {

void RegisterTreeLearners(LearnerRegistry& registry) {
  registry.Register(std::make_unique<trees::GbdtLearner>());
  registry.Register(std::make_unique<trees::RandomForestLearner>());
}

}  // namespace keel::learn
