// Writing JSON strings by hand on hot paths (log lines, JSON Lines output),
// where building a nlohmann::json value per string would cost too much.
#ifndef KEEL_BASE_JSON_STRING_H_
#define KEEL_BASE_JSON_STRING_H_

#include <string>
#include <string_view>

namespace keel {

// Appends `text` to `out` as the body of a JSON string (quotes not added):
// escapes quote, backslash and control characters; bytes >= 0x80 pass as is
// (the caller guarantees UTF-8).
void AppendJsonEscaped(std::string_view text, std::string* out);

// Appends `text` as a complete JSON string, quotes included.
inline void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  AppendJsonEscaped(text, out);
  out->push_back('"');
}

}  // namespace keel

#endif  // KEEL_BASE_JSON_STRING_H_
