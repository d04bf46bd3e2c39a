#include "keel/learn/bundle_file.h"

#include <charconv>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/hash.h"

namespace keel::learn {
namespace {

constexpr std::string_view kMagic = "keel-bundle 1\n";

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 200) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return name != "." && name != "..";
}

Status Corrupt(std::string_view why) {
  return absl::DataLossError(absl::StrCat("not a valid model bundle: ", std::string(why),
                                          "; the bundle is damaged or was not written by keel"));
}

}  // namespace

StatusOr<std::string> WriteBundleFile(const std::vector<BundleSection>& sections) {
  std::set<std::string_view> seen;
  std::string out(kMagic);
  size_t body = 0;
  for (const BundleSection& s : sections) {
    if (!ValidName(s.name) || !seen.insert(s.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("bundle section name '", s.name, "' is invalid or repeated"));
    }
    absl::StrAppend(&out, s.name, " ", s.bytes.size(), " ", Sha256Hex(s.bytes), "\n");
    body += s.bytes.size();
  }
  out += "\n";
  out.reserve(out.size() + body);
  for (const BundleSection& s : sections) out += s.bytes;
  return out;
}

StatusOr<std::vector<BundleSection>> ReadBundleFile(std::string_view bytes) {
  if (bytes.substr(0, kMagic.size()) != kMagic) {
    if (bytes.substr(0, 12) == "keel-bundle ") {
      return Corrupt("its format version is not 1 (written by a newer keel?)");
    }
    return Corrupt("it does not start with 'keel-bundle 1'");
  }
  size_t at = kMagic.size();
  struct Entry {
    std::string name;
    size_t size;
    std::string sha256;
  };
  std::vector<Entry> entries;
  while (true) {
    const size_t end = bytes.find('\n', at);
    if (end == std::string_view::npos) return Corrupt("its header has no end");
    const std::string_view line = bytes.substr(at, end - at);
    at = end + 1;
    if (line.empty()) break;
    const size_t a = line.find(' ');
    const size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
    if (b == std::string_view::npos)
      return Corrupt(absl::StrCat("bad header line '", std::string(line), "'"));
    Entry e{std::string(line.substr(0, a)), 0, std::string(line.substr(b + 1))};
    const std::string_view size = line.substr(a + 1, b - a - 1);
    auto [ptr, ec] = std::from_chars(size.data(), size.data() + size.size(), e.size);
    if (ec != std::errc() || ptr != size.data() + size.size() || !ValidName(e.name) ||
        e.sha256.size() != 64) {
      return Corrupt(absl::StrCat("bad header line '", std::string(line), "'"));
    }
    entries.push_back(std::move(e));
  }
  std::vector<BundleSection> sections;
  for (const Entry& e : entries) {
    if (bytes.size() - at < e.size) {
      return Corrupt(absl::StrCat("section ", e.name, " is cut short (", bytes.size() - at, " of ",
                                  e.size, " bytes)"));
    }
    BundleSection s{e.name, std::string(bytes.substr(at, e.size))};
    at += e.size;
    if (Sha256Hex(s.bytes) != e.sha256) {
      return Corrupt(absl::StrCat("section ", e.name, " does not match its checksum"));
    }
    sections.push_back(std::move(s));
  }
  if (at != bytes.size())
    return Corrupt(absl::StrCat(bytes.size() - at, " bytes follow the last section"));
  return sections;
}

StatusOr<const BundleSection*> FindSection(const std::vector<BundleSection>& sections,
                                           std::string_view name) {
  std::vector<std::string> names;
  for (const BundleSection& s : sections) {
    if (s.name == name) return &s;
    names.push_back(s.name);
  }
  return absl::NotFoundError(absl::StrCat("the bundle has no section '", std::string(name),
                                          "'; it has: ", absl::StrJoin(names, ", ")));
}

}  // namespace keel::learn
