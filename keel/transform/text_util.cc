#include "keel/transform/text_util.h"

#include <cstring>

namespace keel::transform {

uint32_t Murmur3(std::string_view key, uint32_t seed) {
  const auto* data = reinterpret_cast<const uint8_t*>(key.data());
  const size_t len = key.size();
  const size_t nblocks = len / 4;
  uint32_t h1 = seed;
  const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
  auto rotl = [](uint32_t x, int r) { return (x << r) | (x >> (32 - r)); };
  for (size_t i = 0; i < nblocks; ++i) {
    uint32_t k1;
    std::memcpy(&k1, data + i * 4, 4);
    k1 *= c1;
    k1 = rotl(k1, 15);
    k1 *= c2;
    h1 ^= k1;
    h1 = rotl(h1, 13);
    h1 = h1 * 5 + 0xe6546b64;
  }
  const uint8_t* tail = data + nblocks * 4;
  uint32_t k1 = 0;
  switch (len & 3) {
    case 3:
      k1 ^= tail[2] << 16;
      [[fallthrough]];
    case 2:
      k1 ^= tail[1] << 8;
      [[fallthrough]];
    case 1:
      k1 ^= tail[0];
      k1 *= c1;
      k1 = rotl(k1, 15);
      k1 *= c2;
      h1 ^= k1;
  }
  h1 ^= static_cast<uint32_t>(len);
  h1 ^= h1 >> 16;
  h1 *= 0x85ebca6b;
  h1 ^= h1 >> 13;
  h1 *= 0xc2b2ae35;
  h1 ^= h1 >> 16;
  return h1;
}

namespace {

// Is a non-ASCII code point a word character (see Tokenizer)?
bool IsWordCodePoint(uint32_t cp) {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
           cp == '_';
  }
  if (cp <= 0xBF) {
    return cp == 0xAA || cp == 0xB2 || cp == 0xB3 || cp == 0xB5 || cp == 0xB9 || cp == 0xBA ||
           (cp >= 0xBC && cp <= 0xBE);
  }
  if (cp == 0xD7 || cp == 0xF7) return false;
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;
  if (cp >= 0x3000 && cp <= 0x303F) return false;
  if (cp >= 0xFE30 && cp <= 0xFE4F) return false;
  if ((cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
      (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65)) {
    return false;
  }
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return false;
  return true;
}

// Decodes one UTF-8 code point at s[i] into *cp; returns its length in
// bytes (1 for an invalid byte, with *cp = 0xFFFFFFFF).
int Decode(std::string_view s, size_t i, uint32_t* cp) {
  const auto b = static_cast<uint8_t>(s[i]);
  int len = 0;
  uint32_t v = 0;
  if (b < 0x80) {
    *cp = b;
    return 1;
  } else if ((b & 0xE0) == 0xC0) {
    len = 2;
    v = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3;
    v = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4;
    v = b & 0x07;
  } else {
    *cp = 0xFFFFFFFF;
    return 1;
  }
  if (i + len > s.size()) {
    *cp = 0xFFFFFFFF;
    return 1;
  }
  for (int k = 1; k < len; ++k) {
    const auto c = static_cast<uint8_t>(s[i + k]);
    if ((c & 0xC0) != 0x80) {
      *cp = 0xFFFFFFFF;
      return 1;
    }
    v = (v << 6) | (c & 0x3F);
  }
  *cp = v;
  return len;
}

}  // namespace

void Tokenizer::Split(std::string_view doc) {
  text_.assign(doc.data(), doc.size());
  if (lowercase_) {
    for (size_t i = 0; i < text_.size(); ++i) {
      const auto b = static_cast<uint8_t>(text_[i]);
      if (b >= 'A' && b <= 'Z') {
        text_[i] = static_cast<char>(b + 32);
      } else if (b == 0xC3 && i + 1 < text_.size()) {
        // U+00C0-U+00DE but U+00D7 (x) -> +0x20: the second byte 0x80-0x9E.
        const auto c = static_cast<uint8_t>(text_[i + 1]);
        if (c >= 0x80 && c <= 0x9E && c != 0x97) text_[i + 1] = static_cast<char>(c + 0x20);
        ++i;
      }
    }
  }
  tokens_.clear();
  size_t start = 0;
  int chars = 0;  // code points in the current run
  size_t i = 0;
  while (i < text_.size()) {
    uint32_t cp;
    const int len = Decode(text_, i, &cp);
    const bool word = cp != 0xFFFFFFFF && IsWordCodePoint(cp);
    if (word) {
      if (chars == 0) start = i;
      ++chars;
    } else {
      if (chars >= 2) tokens_.emplace_back(text_.data() + start, i - start);
      chars = 0;
    }
    i += len;
  }
  if (chars >= 2) tokens_.emplace_back(text_.data() + start, text_.size() - start);
}

}  // namespace keel::transform
