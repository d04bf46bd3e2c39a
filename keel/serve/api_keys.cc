#include "keel/serve/api_keys.h"

#include <openssl/crypto.h>

#include <cctype>

#include "keel/base/hash.h"

namespace keel::serve {

namespace {

std::array<uint8_t, 32> Digest(std::string_view key) {
  Sha256 hasher;
  hasher.Update(key);
  return hasher.Finish();  // Sha256::Digest is std::array<uint8_t, 32>
}

bool StartsWithBearer(std::string_view header) {
  if (header.size() < 7) return false;
  for (size_t i = 0; i < 6; ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != "bearer"[i]) return false;
  }
  return header[6] == ' ';
}

}  // namespace

ApiKeys::ApiKeys(const std::vector<std::string>& keys) {
  for (const std::string& key : keys) digests_.push_back(Digest(key));
}

bool ApiKeys::Accepts(std::string_view api_key, std::string_view authorization) const {
  if (digests_.empty()) return true;
  std::string_view presented = api_key;
  if (presented.empty() && StartsWithBearer(authorization)) presented = authorization.substr(7);
  if (presented.empty()) return false;
  // Compare digests (fixed length) in constant time, against every key.
  const std::array<uint8_t, 32> digest = Digest(presented);
  int match = 0;
  for (const std::array<uint8_t, 32>& key : digests_) {
    match |= CRYPTO_memcmp(digest.data(), key.data(), digest.size()) == 0 ? 1 : 0;
  }
  return match != 0;
}

}  // namespace keel::serve
