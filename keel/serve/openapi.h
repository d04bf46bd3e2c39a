// GET /openapi.json: every endpoint of `keel serve` as an OpenAPI 3.0
// document (paths, methods, parameters, request and response schemas).
#ifndef KEEL_SERVE_OPENAPI_H_
#define KEEL_SERVE_OPENAPI_H_

#include <string_view>

namespace keel::serve {

std::string_view OpenApiJson();

}  // namespace keel::serve

#endif  // KEEL_SERVE_OPENAPI_H_
