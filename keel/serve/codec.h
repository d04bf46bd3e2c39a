// What the request protocols (KServe V2, TF Serving) share: errors that
// name the field at fault, and the JSON writing of output columns. The JSON
// parsing itself (simdjson) stays inside the protocol .cc files.
#ifndef KEEL_SERVE_CODEC_H_
#define KEEL_SERVE_CODEC_H_

#include <string>
#include <string_view>

#include "keel/base/status.h"
#include "keel/table/column.h"
#include "keel/table/types.h"

namespace keel::serve {

// InvalidArgument whose message is prefixed by `field` ("inputs[1].data:
// ...") and which carries the field as a payload, so that the HTTP layer
// returns {"error": ..., "field": ...}.
Status FieldError(std::string_view field, std::string_view message);
// The field FieldError attached, or "".
std::string ErrorField(const Status& status);

// Appends a double as JSON: the shortest text that reads back to the same
// bits; NaN and infinities (which JSON lacks) as null.
void AppendJsonDouble(double value, std::string* out);
// Appends value `row` of `column` as a JSON scalar (timestamps as RFC 3339
// strings, nulls as null).
void AppendJsonValue(const Column& column, int64_t row, std::string* out);

// The KServe V2 datatype of a column type: BOOL, INT64, FP64, BYTES
// (strings and timestamps).
std::string_view V2Datatype(DataType type);

// Whether a tensor of KServe V2 datatype `datatype` ("FP32", "BYTES"...) may
// feed a model input of `type`: numbers of any width for float64 and int64,
// BOOL or integers for bool, BYTES for strings, BYTES (RFC 3339) or INT64
// (microseconds) for timestamps. The same rule for REST and gRPC.
bool V2DatatypeFeeds(std::string_view datatype, DataType type);
// What an input of `type` accepts, for messages ("FP64, FP32 or an integer type").
std::string_view V2DatatypesFor(DataType type);

}  // namespace keel::serve

#endif  // KEEL_SERVE_CODEC_H_
