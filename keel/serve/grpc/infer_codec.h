// Internal to keel/serve/grpc: the Open Inference Protocol's protobuf
// messages to and from what ServedModel scores. Include only from this
// folder's .cc files and tests (it brings in the generated protobuf code).
//
// ModelInferRequest takes the same two forms of inputs as the REST API
// (kserve_v2.h), with the same rules and messages:
//   - one tensor per model input, named as the input, shape [N] or [N, 1];
//   - one tensor of shape [N, K] (any name), K = the number of inputs, when
//     every input is numeric or bool: its columns are the inputs in order.
// Values come either typed, each tensor in the `contents` field of its
// datatype (fp64_contents for FP64, int_contents for INT8/16/32, ...), or
// raw: `raw_input_contents`, one entry per tensor in order, little-endian
// and packed, BYTES elements each a 4-byte little-endian length and then
// the bytes (FP16 only raw). A tensor may feed an input as over REST
// (numbers for float64 and int64, integral for int64; BOOL or 0/1 for bool;
// BYTES for strings; BYTES in RFC 3339 or INT64 microseconds for
// timestamps). gRPC has no nulls: a missing number is NaN.
#ifndef KEEL_SERVE_GRPC_INFER_CODEC_H_
#define KEEL_SERVE_GRPC_INFER_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/serve/grpc/inference.pb.h"
#include "keel/serve/served_model.h"
#include "keel/table/table.h"

namespace keel::serve::grpc_internal {

struct DecodedInferRequest {
  std::vector<std::string> outputs;  // requested outputs; empty: all
  bool raw = false;                  // inputs came raw: answer in raw_output_contents too
  InputBatch batch;                  // strings point into the request message
};

// Errors: FieldError naming the field ("inputs[1] (merchant).datatype",
// "raw_input_contents[0]", "outputs[0].name") for a missing, unknown or
// duplicate input, a datatype the input cannot take, a shape that disagrees
// with the values or the other inputs, contents in the wrong field, raw
// contents of the wrong size, an empty batch, or an unknown output. The
// batch's strings point into `request`: keep it alive while scoring.
StatusOr<DecodedInferRequest> DecodeInferRequest(const inference::ModelInferRequest& request,
                                                 const ServedModel& model);

// Fills `response` from `predictions` (ServedModel::Score's table): the
// model's name and version, the request's id, and one output per column
// (only the requested ones), shape [N]: FP64 in fp64_contents, INT64 in
// int64_contents, BOOL in bool_contents, BYTES (strings; timestamps as
// RFC 3339) in bytes_contents, or all in raw_output_contents when
// `decoded.raw`. Nulls, which models do not produce, become NaN, 0, false
// or "".
void EncodeInferResponse(const ServedModel& model, const inference::ModelInferRequest& request,
                         const DecodedInferRequest& decoded, const Table& predictions,
                         inference::ModelInferResponse* response);

// Name, versions, platform ("keel_<learner>"), inputs and outputs with their
// datatypes and shape [-1], as GET /v2/models/{m} answers.
void FillModelMetadata(const ServedModel& model, const std::vector<int64_t>& versions,
                       inference::ModelMetadataResponse* response);

}  // namespace keel::serve::grpc_internal

#endif  // KEEL_SERVE_GRPC_INFER_CODEC_H_
