#include "keel/learn/linear/register.h"

#include "keel/learn/linear/learners.h"

namespace keel::learn {

void RegisterLinearLearners(LearnerRegistry& registry) {
  registry.Register(NewLinearRegressionLearner());
  registry.Register(NewElasticNetLearner());
  registry.Register(NewLogisticLearner());
  registry.Register(NewKMeansLearner());
  registry.Register(NewPcaLearner());
}

}  // namespace keel::learn
