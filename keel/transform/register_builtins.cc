// The one place the built-in steps are registered (no static initialisers).
#include "keel/transform/steps.h"
#include "keel/transform/transform.h"

namespace keel::transform {

void RegisterBuiltinTransforms(TransformRegistry* registry) {
  RegisterNumericSteps(registry);
  RegisterCategoricalSteps(registry);
  RegisterTargetAndHashingSteps(registry);
  RegisterExtractSteps(registry);
  RegisterSelectionSteps(registry);
  RegisterTextSteps(registry);
  RegisterPolynomialSteps(registry);
  RegisterImageSteps(registry);
}

}  // namespace keel::transform
