// TensorFlow Serving's REST predict API for one model:
// POST /v1/models/{m}[/versions/{v}|/labels/{alias}]:predict.
//
// Row form: {"instances": [{"amount": 12.5, "merchant": "m1"}, ...]}, or
// positional rows [[12.5, "m1"], ...] in the model's input order, or bare
// values when the model has one input. Answered {"predictions": [...]}: one
// object per row, or bare values when the model has one output.
// Columnar form: {"inputs": {"amount": [12.5, ...], ...}} (or the positional
// list as above), answered {"outputs": {"prediction": [...], ...}} (bare
// list for one output). "signature_name" is accepted and ignored.
// Spec: https://www.tensorflow.org/tfx/serving/api_rest#predict_api
#ifndef KEEL_SERVE_TF_SERVING_H_
#define KEEL_SERVE_TF_SERVING_H_

#include <string>
#include <string_view>

#include "keel/base/status.h"
#include "keel/serve/served_model.h"
#include "keel/table/table.h"

namespace keel::serve {

struct TfPredictRequest {
  bool columnar = false;  // "inputs" (answered "outputs") rather than "instances"
  InputBatch batch;
};

// Errors: FieldError naming the field ("instances[3].amount") for malformed
// JSON, neither or both of instances/inputs, an empty batch, a missing or
// unknown input, rows of different lengths, or a value of the wrong type.
// String values point into this thread's parser (see kserve_v2.h).
StatusOr<TfPredictRequest> ParseTfPredictRequest(std::string_view body, const ServedModel& model);

void WriteTfPredictResponse(const TfPredictRequest& request, const Table& predictions,
                            std::string* out);

}  // namespace keel::serve

#endif  // KEEL_SERVE_TF_SERVING_H_
