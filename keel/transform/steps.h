// Internal: registration of the built-in steps, one function per source file
// (called from register_builtins.cc), and helpers they share.
#ifndef KEEL_TRANSFORM_STEPS_H_
#define KEEL_TRANSFORM_STEPS_H_

#include <memory>

#include "keel/transform/transform.h"

namespace keel::transform {

void RegisterNumericSteps(TransformRegistry* registry);           // numeric_steps.cc
void RegisterCategoricalSteps(TransformRegistry* registry);       // categorical_steps.cc
void RegisterTargetAndHashingSteps(TransformRegistry* registry);  // target_hashing_steps.cc
void RegisterExtractSteps(TransformRegistry* registry);           // extract_steps.cc
void RegisterSelectionSteps(TransformRegistry* registry);         // selection_steps.cc
void RegisterTextSteps(TransformRegistry* registry);              // text_steps.cc
void RegisterPolynomialSteps(TransformRegistry* registry);        // polynomial_steps.cc
void RegisterImageSteps(TransformRegistry* registry);             // image_steps.cc

// A factory building T(spec, accepts).
template <typename T>
StepInfo::Factory MakeFactory(TypeMask accepts) {
  return [accepts](const StepSpec& spec) -> StatusOr<std::unique_ptr<Transform>> {
    return std::make_unique<T>(spec, accepts);
  };
}

}  // namespace keel::transform

#endif  // KEEL_TRANSFORM_STEPS_H_
