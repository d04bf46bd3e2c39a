// UTF-8 validation for text read from files (CSV fields, header names).
#ifndef KEEL_TABLE_UTF8_H_
#define KEEL_TABLE_UTF8_H_

#include <cstddef>
#include <string_view>

namespace keel {

// The offset of the first byte of the first ill-formed sequence in `text`
// (overlong forms, surrogates, code points past U+10FFFF and truncated
// sequences are ill-formed, as in RFC 3629), or text.size() when all of it
// is valid UTF-8.
size_t FindInvalidUtf8(std::string_view text);

inline bool IsValidUtf8(std::string_view text) { return FindInvalidUtf8(text) == text.size(); }

}  // namespace keel

#endif  // KEEL_TABLE_UTF8_H_
