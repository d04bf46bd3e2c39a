#include "keel/table/timestamp_offsets.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace keel::table_internal {
namespace {

// The value as quoted in the message: at most 60 bytes.
std::string Shown(std::string_view text) {
  if (text.size() > 60) return absl::StrCat("'", std::string(text.substr(0, 57)), "...'");
  return absl::StrCat("'", std::string(text), "'");
}

}  // namespace

void TimestampOffsetCheck::Note(bool has_offset, TimestampSample sample) {
  std::optional<TimestampSample>& kept = has_offset ? with_offset_ : naive_;
  if (!kept.has_value()) kept = std::move(sample);
}

void TimestampOffsetCheck::Clear() {
  with_offset_.reset();
  naive_.reset();
}

Status TimestampOffsetCheck::Error(std::string_view file, std::string_view subject,
                                   const TimeZone& zone) const {
  if (!mixed()) return absl::InternalError("TimestampOffsetCheck::Error without a mix");
  const TimestampSample& later =
      with_offset_->line > naive_->line ||
              (with_offset_->line == naive_->line && with_offset_->column > naive_->column)
          ? *with_offset_
          : *naive_;
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(file), ":", later.line, ":", later.column, ": ", std::string(subject),
      " mixes timestamps with a UTC offset (", Shown(with_offset_->text), ", line ",
      with_offset_->line, ") and without one (", Shown(naive_->text), ", line ", naive_->line,
      "), so the ones without may be local times; write every time with an offset such as Z, "
      "or every time without one; naive times are read as ",
      zone.is_utc() ? std::string("UTC") : absl::StrCat("local time in ", zone.name())));
}

}  // namespace keel::table_internal
