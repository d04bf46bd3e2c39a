// Turning the messages of a Redis Stream (field -> text pairs) into typed
// push requests, one per feature view, and naming what is wrong with each
// message that cannot be one. No I/O: the consumer (stream.h) reads the
// messages and writes the rows.
//
// A message carries `feature_view` (or the consumer's default view) and one
// field per column of that view, as text:
//   join keys and the source's timestamp_field: required, non-empty;
//   features, and for a view with aggregations the columns they read and
//   the source's created_timestamp_field: "" or absent is null;
//   int64 decimal ("42"), float64 decimal ("1.5", "-2e3"; finite), bool
//   "true"/"false"/"1"/"0", string as is, timestamp RFC 3339 text
//   ("2024-01-02T00:00:00Z", or anything ParseTimestamp takes) or an
//   integer of microseconds since the epoch (text of digits only).
// Any other field is refused (a misspelt feature would otherwise be lost).
#ifndef KEEL_FEATURES_STREAM_MESSAGE_H_
#define KEEL_FEATURES_STREAM_MESSAGE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/features/definitions.h"
#include "keel/features/push.h"

namespace keel::features {

// The field naming a message's feature view.
inline constexpr char kFeatureViewField[] = "feature_view";

struct StreamMessage {
  std::string id;                                           // "1700000000000-0"
  std::vector<std::pair<std::string, std::string>> fields;  // in the message's order
};

// One read's messages, parsed.
struct ParsedStreamBatch {
  struct ViewRows {
    PushRequest request;               // ParsePushRequest's typing; rows in message order
    std::vector<size_t> messages;      // the message (index into the input) of each row
    std::vector<int64_t> event_times;  // of each row, µs since the epoch
  };
  struct Bad {
    size_t message;      // index into the input
    std::string reason;  // what is wrong, naming the field and the view
  };
  std::vector<ViewRows> views;  // in order of first appearance
  std::vector<Bad> bad;         // in message order
};

// Types every message against `definitions`; `default_view` ("" for none)
// is the view of a message without a feature_view field. Never fails as a
// whole: each message is either a row of one ViewRows or a Bad, whose reason
// says what was wrong (unknown view with did-you-mean, missing join key or
// timestamp, unknown or repeated field, value not of the declared type).
ParsedStreamBatch ParseStreamMessages(const FeatureDefinitions& definitions,
                                      std::string_view default_view,
                                      std::span<const StreamMessage> messages);

}  // namespace keel::features

#endif  // KEEL_FEATURES_STREAM_MESSAGE_H_
