// The KServe V2 / Open Inference Protocol REST body for one model:
// POST /v2/models/{m}[/versions/{v}]/infer.
//
// Request: {"id"?, "parameters"?, "inputs": [{"name", "shape", "datatype",
// "data"}, ...], "outputs"?: [{"name"}]}. Two forms of inputs:
//   - one tensor per model input, named as the input, shape [N] or [N, 1];
//   - one tensor of shape [N, K] (any name), K = the number of inputs, when
//     every input is numeric or bool: its columns are the inputs in order.
// `data` is flat or nested row-major. Response: {"model_name",
// "model_version", "id", "outputs": [{"name", "datatype", "shape", "data"}]}.
// Spec: https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/
#ifndef KEEL_SERVE_KSERVE_V2_H_
#define KEEL_SERVE_KSERVE_V2_H_

#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/serve/served_model.h"
#include "keel/table/table.h"

namespace keel::serve {

struct V2InferRequest {
  std::string id;
  std::vector<std::string> outputs;  // requested outputs; empty: all
  InputBatch batch;
};

// Errors: FieldError naming the field ("inputs[1].datatype") for malformed
// JSON, a missing, unknown or duplicate input, a datatype the input cannot
// take, a shape that disagrees with the data or the other inputs, an empty
// batch, or an unknown requested output. String values in the batch point
// into this thread's parser: valid until its next request.
StatusOr<V2InferRequest> ParseV2InferRequest(std::string_view body, const ServedModel& model);

// Appends the response for `predictions` (ServedModel::Score's table).
void WriteV2InferResponse(const ServedModel& model, const V2InferRequest& request,
                          const Table& predictions, std::string* out);

// GET /v2/models/{m}[/versions/{v}]: name, versions, platform, inputs and
// outputs with datatypes and shapes ([-1] per row).
void WriteV2ModelMetadata(const ServedModel& model, const std::vector<int64_t>& versions,
                          std::string* out);

}  // namespace keel::serve

#endif  // KEEL_SERVE_KSERVE_V2_H_
