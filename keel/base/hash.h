// Content hashing for immutable versions (datasets, models): SHA-256, streamed.
// A version id is the lowercase hex digest, or a prefix of it for display.
#ifndef KEEL_BASE_HASH_H_
#define KEEL_BASE_HASH_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "keel/base/status.h"

namespace keel {

// Incremental SHA-256. Not thread-safe; one hasher per stream.
class Sha256 {
 public:
  static constexpr size_t kDigestBytes = 32;
  using Digest = std::array<uint8_t, kDigestBytes>;

  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // Feeds more bytes. May be called any number of times before Finish().
  void Update(std::string_view bytes);
  // Returns the digest; the hasher must not be used afterwards.
  Digest Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Lowercase hex of `bytes`.
std::string HexEncode(std::string_view bytes);
std::string HexEncode(const Sha256::Digest& digest);

// SHA-256 of `bytes` as 64 lowercase hex characters.
std::string Sha256Hex(std::string_view bytes);

// SHA-256 of the file at `path`, read in chunks (constant memory).
// Errors: NotFound / PermissionDenied / Internal with the path in the message.
StatusOr<std::string> Sha256HexOfFile(const std::string& path);

// HMAC-SHA256 (RFC 2104) of `data` under `key`: the 32 raw digest bytes
// (HexEncode them for display). Used by SigV4 request signing. Thread-safe.
std::string HmacSha256(std::string_view key, std::string_view data);

// A short, readable version id: the first `length` hex characters of a digest.
inline std::string ShortVersion(std::string_view hex_digest, size_t length = 12) {
  return std::string(hex_digest.substr(0, length));
}

}  // namespace keel

#endif  // KEEL_BASE_HASH_H_
