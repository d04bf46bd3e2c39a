// Just enough XML for S3's responses and requests: element text by tag name
// and entity (un)escaping. S3's documents are flat and namespace-free in
// practice; this is not a general XML parser.
#ifndef KEEL_STORAGE_S3_XML_H_
#define KEEL_STORAGE_S3_XML_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel {

// The raw contents (between the tags, not unescaped) of every <tag ...>
// element in `xml`, in document order; "" for <tag/>. Nested elements of the
// same name are not supported (S3 responses have none).
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag);

// The unescaped text of the first <tag> element, or nullopt when absent.
std::optional<std::string> XmlText(std::string_view xml, std::string_view tag);

// Replaces &amp; &lt; &gt; &quot; &apos; &#NN; &#xHH; (as UTF-8). Unknown or
// malformed entities are kept as they are. Strips <![CDATA[...]]> wrappers.
std::string XmlUnescape(std::string_view text);

// Escapes & < > " ' for element text and attribute values.
std::string XmlEscape(std::string_view text);

}  // namespace keel

#endif  // KEEL_STORAGE_S3_XML_H_
