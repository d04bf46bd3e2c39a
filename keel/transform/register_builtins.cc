// The one place the built-in steps are registered (no static initialisers).
#include "keel/transform/steps.h"
#include "keel/transform/transform.h"

namespace keel::transform {

void RegisterSelectionSteps(TransformRegistry* registry);   // selection_steps.cc
void RegisterTextSteps(TransformRegistry* registry);        // text_steps.cc
void RegisterPolynomialSteps(TransformRegistry* registry);  // polynomial_steps.cc
void RegisterImageSteps(TransformRegistry* registry);       // image_steps.cc

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
