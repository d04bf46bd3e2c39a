// Stream ingestion: a consumer of a Redis Stream (consumer groups) that
// writes each event to the online store within milliseconds of its XADD and
// hands it to an offline sink (the lake, so training sets see the same
// events). `keel features stream` runs one.
//
//   StreamOptions o{.redis_url = url, .stream = "events", .consumer = "host-42"};
//   KEEL_ASSIGN_OR_RETURN(auto consumer,
//                         StreamConsumer::Create(definitions, store, &sink, o));
//   KEEL_RETURN_IF_ERROR(consumer->Run([] { return stop_requested; }));
//
// Messages are typed as stream_message.h says. Per read (XREADGROUP ... >,
// up to `batch` messages): the good messages are pushed to the online store
// (PushToOnlineStore, one write per view), the bad ones are XADDed to the
// dead-letter stream with their fields plus `error` (the reason) and `id`
// (the original id), and every message is XACKed once it is done. "Done"
// for a good message: in the online store without a sink; with a sink, also
// in the offline store, so XACK waits for the sink's next flush.
//
// Delivery is at least once. At start (and after each reconnect) the
// consumer first re-reads its own pending entries (XREADGROUP ... 0): those
// read but not acknowledged before a crash, and those it claimed from
// consumers idle for claim_idle_ms (a crashed consumer that had another
// name, e.g. another pid). Replaying one to the online
// store is harmless (the newest event time wins); the sink sees an event
// twice only when the process died between a flush and its XACK. A message
// deleted from the stream while pending is acknowledged and skipped.
//
// Redis down or restarting: every failure (connection, timeout, LOADING, an
// online store that answers Unavailable) drops the connection, waits
// (retry_backoff_ms doubling up to max_backoff_ms), reconnects, recreates
// the group when the server lost it (from id 0: the new stream holds only
// unconsumed events) and replays the pending entries. It is logged when the
// outage starts, every 30 s while it lasts, and when it ends. Run gives up
// only after give_up_after_ms (0: never), with Unavailable naming the server.
#ifndef KEEL_FEATURES_STREAM_H_
#define KEEL_FEATURES_STREAM_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/features/definitions.h"
#include "keel/features/online_store.h"
#include "keel/table/table.h"

namespace keel::features {

struct StreamOptions {
  // redis://[:password@]host[:port][/db] or unix:///path/to/socket[?db=N]
  std::string redis_url = "redis://127.0.0.1:6379/0";
  std::string stream;  // required
  std::string group = "keel";
  // Required, unique among the group's running consumers; keep it across
  // restarts so a restarted consumer replays its own pending entries.
  std::string consumer;
  // Where a group that does not exist yet starts: "$" (events added from
  // now on) or "0" (every event the stream holds), or a stream id.
  std::string start_id = "$";
  std::string default_view;        // the view of a message without feature_view
  std::string dead_letter_stream;  // "": "<stream>:dead"
  int batch = 500;                 // messages per read (COUNT)
  int block_ms = 500;              // a read waits this long for new messages
  int64_t max_events = 0;          // > 0: Run returns after this many messages
  int connect_timeout_ms = 2000;
  int command_timeout_ms = 5000;  // per command, on top of block_ms for reads
  int retry_backoff_ms = 100;     // the first wait after a failure
  int max_backoff_ms = 5000;      // waits double up to this
  int64_t give_up_after_ms = 0;   // Run fails after Redis failed this long; 0: never
  // Entries of any consumer of the group (one that died, under another
  // name) unacknowledged for this long are claimed (XAUTOCLAIM) at connect
  // and every claim_idle_ms / 2, then replayed. 0: never. With a sink it
  // must be at least twice offline_flush_interval_ms (a live consumer holds
  // its events that long).
  int64_t claim_idle_ms = 300'000;
  // With a sink: the buffered events are flushed to it when this many are
  // buffered, when the oldest has waited this long, and when Run returns.
  int64_t offline_flush_events = 10'000;
  int64_t offline_flush_interval_ms = 60'000;
};

// Counters since Create. Event times in µs since the epoch.
struct StreamStats {
  int64_t read = 0;              // messages done (pushed or dead-lettered)
  int64_t replayed = 0;          // of those, pending entries read again
  int64_t pushed = 0;            // rows written to the online store (a replay counts again)
  int64_t dead_lettered = 0;     // messages XADDed to the dead-letter stream
  int64_t offline_appended = 0;  // rows the sink took
  int64_t offline_flushes = 0;
  int64_t acked = 0;
  int64_t claimed = 0;               // entries claimed from idle consumers (XAUTOCLAIM)
  int64_t outages = 0;               // Redis or store failures that were recovered from
  int64_t latest_event_time_us = 0;  // the newest event time pushed (0: none yet)
  int64_t lag_us = 0;                // wall time minus the newest event time of the last push
  std::string last_id;               // of the last message handled
};

// The events of one view that a flush hands to the sink.
struct OfflineEvents {
  const FeatureView* view = nullptr;
  // Rows as ParsePushRequest types them (join keys, the timestamp field and
  // the features or aggregated columns that some message gave; batches may
  // differ in which), one table per read, in stream order.
  std::vector<Table> batches;
  int64_t rows = 0;
  // The messages as they came, one JSON object per line:
  // {"id": "...", "fields": {"name": "text", ...}}.
  std::string raw_jsonl;
  std::string first_id, last_id;  // stream ids of the first and last event
  // How they came, for the lake's record: "redis-stream" or "push".
  std::string format = "redis-stream";
};

// Where consumed events go for training. Called on the consumer's thread.
class OfflineEventSink {
 public:
  virtual ~OfflineEventSink() = default;
  // Stores the events durably before returning OK. An error stops Run with
  // it; the events stay pending in Redis and are replayed at the next start.
  virtual Status Append(const OfflineEvents& events) = 0;
};

class StreamConsumer {
 public:
  // Checks the options (stream and consumer set, default view known,
  // positive batch and block), connects and creates the group (XGROUP
  // CREATE ... MKSTREAM; an existing group is kept). `store` and `sink`
  // (nullptr: online only) must outlive the consumer. Errors:
  // InvalidArgument for bad options or URL; Unavailable when Redis cannot
  // be reached (naming it); Internal for other server errors (e.g. the key
  // is not a stream).
  static StatusOr<std::unique_ptr<StreamConsumer>> Create(FeatureDefinitions definitions,
                                                          OnlineStore& store,
                                                          OfflineEventSink* sink,
                                                          StreamOptions options);
  ~StreamConsumer();
  StreamConsumer(const StreamConsumer&) = delete;
  StreamConsumer& operator=(const StreamConsumer&) = delete;

  // Consumes until `stop()` is true (asked between reads and while waiting
  // to retry: at least every block_ms) or max_events messages were handled,
  // then flushes the sink and acknowledges. `on_progress`, when set, is
  // called after each read (also empty ones). Errors: Unavailable when Redis
  // failed for give_up_after_ms; the sink's errors; the online store's
  // errors other than Unavailable (retried). Not thread-safe: one Run at a
  // time; `stop` may read a flag another thread or a signal handler sets.
  Status Run(const std::function<bool()>& stop,
             const std::function<void(const StreamStats&)>& on_progress = nullptr);

  const StreamStats& stats() const;
  // The dead-letter stream's name.
  const std::string& dead_letter_stream() const;

 private:
  struct Impl;
  explicit StreamConsumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::features

#endif  // KEEL_FEATURES_STREAM_H_
