// Internal to the protocol decoders: JSON scalars (simdjson DOM) to typed
// input values. Include only from .cc files: simdjson's header is large.
#ifndef KEEL_SERVE_JSON_INPUT_H_
#define KEEL_SERVE_JSON_INPUT_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/serve/served_model.h"
#include "simdjson.h"

namespace keel::serve::internal {

namespace dom = simdjson::dom;

// Parses `body` with this thread's parser. The document, and every string
// view taken from it, is valid until the next ParseBody on this thread.
// Errors: FieldError("body", ...) for malformed JSON, or JSON that is not
// an object.
StatusOr<dom::object> ParseBody(std::string_view body);

// `value` as `type`: numbers for float64 (integers too); integers (or
// integral numbers) for int64; true/false (or 0/1) for bool; strings for
// string; RFC 3339 strings or integer microseconds for timestamp; null as a
// typed null. `field` is called only to name the value in an error.
Status DecodeValue(dom::element value, DataType type, const std::function<std::string()>& field,
                   Value* out);

// The scalars of a possibly nested JSON array, in row-major order (the
// forms the protocols allow for a tensor's data). Errors: FieldError when a
// nested element is an object.
Status FlattenArray(dom::array array, const std::string& field, std::vector<dom::element>* out);

// "unknown input 'x'; the model takes: a, b, c".
std::string UnknownInputMessage(const ServedModel& model, std::string_view name);

}  // namespace keel::serve::internal

#endif  // KEEL_SERVE_JSON_INPUT_H_
