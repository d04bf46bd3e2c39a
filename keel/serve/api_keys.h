// API keys for `keel serve`, shared by the transports (HTTP router, gRPC):
// a request is accepted when it presents one of the configured keys, as
// `X-API-Key: KEY` or `Authorization: Bearer KEY` (HTTP headers or gRPC
// metadata). Keys are kept as SHA-256 digests and compared in constant time.
#ifndef KEEL_SERVE_API_KEYS_H_
#define KEEL_SERVE_API_KEYS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace keel::serve {

class ApiKeys {
 public:
  // No keys: every request is accepted.
  explicit ApiKeys(const std::vector<std::string>& keys = {});

  // Whether any key is configured.
  bool required() const { return !digests_.empty(); }

  // Whether the request presents a configured key: `api_key` (the X-API-Key
  // value) or else `authorization` ("Bearer KEY", the scheme
  // case-insensitive). True when no key is configured. The time taken does
  // not depend on which key matched or how much of it. Thread-safe.
  bool Accepts(std::string_view api_key, std::string_view authorization) const;

 private:
  std::vector<std::array<uint8_t, 32>> digests_;
};

// What a refused request is told (for an Unauthenticated status).
inline constexpr char kApiKeyMessage[] =
    "missing or wrong API key: send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'";

}  // namespace keel::serve

#endif  // KEEL_SERVE_API_KEYS_H_
