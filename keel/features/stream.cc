// StreamConsumer (contract in the header). One blocking hiredis connection,
// used only from Run's thread. A read is one XREADGROUP; the dead letters
// and acknowledgements of a read go out in one pipelined round trip.
//
// Which ids are "held": read, pushed and handed (or about to be handed) to
// the sink, but not yet acknowledged. A replay of the pending entries skips
// them, so an event reaches the sink once per process even when the
// connection drops between a flush and its XACK.
#include "keel/features/stream.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/features/push.h"
#include "keel/features/redis_connection.h"
#include "keel/features/stream_message.h"
#include "spdlog/spdlog.h"

namespace keel::features {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

constexpr auto kOutageLogEvery = std::chrono::seconds(30);
constexpr int kAckIdsPerCommand = 1000;
constexpr int kFinalAckTries = 4;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string Text(const redisReply* r) {
  return r != nullptr && r->str != nullptr ? std::string(r->str, r->len) : std::string();
}

}  // namespace

struct StreamConsumer::Impl {
  FeatureDefinitions definitions;
  OnlineStore* store = nullptr;
  OfflineEventSink* sink = nullptr;
  StreamOptions options;
  RedisEndpoint endpoint;
  RedisConnection connection;  // null while disconnected
  StreamStats stats;

  bool group_created = false;  // by this consumer once: later creations start at 0
  bool replaying = true;       // reading this consumer's pending entries
  std::string replay_cursor = "0";

  // Events for the sink (one entry per view, in order of first appearance)
  // and their ids; then the ids flushed but not yet acknowledged.
  std::vector<OfflineEvents> buffered;
  std::vector<std::string> buffered_ids;
  std::optional<Clock::time_point> buffered_since;
  std::vector<std::string> flushed_ids;
  absl::flat_hash_set<std::string> held;  // buffered_ids and flushed_ids

  bool claim_supported = true;  // false once the server refused XAUTOCLAIM (< 6.2)
  Clock::time_point last_claim;

  // The current outage, if any.
  std::optional<Clock::time_point> failing_since;
  Clock::time_point last_outage_log;
  std::string last_error;
  int failures = 0;

  std::string Where() const {
    return absl::StrCat("stream '", options.stream, "' at redis ", endpoint.name);
  }

  // Sends `commands` in one round trip; the replies of all must be OK.
  RedisTry Pipeline(const std::vector<std::vector<std::string>>& commands) {
    redisContext* c = connection.get();
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::vector<std::string>& command : commands) {
      argv.clear();
      lengths.clear();
      for (const std::string& a : command) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
      }
      if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()) !=
          REDIS_OK) {
        return RetryableRedisFailure(absl::StrCat(command[0], ": ", c->errstr));
      }
    }
    RedisTry first_error;
    for (const std::vector<std::string>& command : commands) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK) {
        return RedisReplyFailure(endpoint, c, nullptr, command[0]);
      }
      RedisReply reply(static_cast<redisReply*>(raw));
      if (reply->type == REDIS_REPLY_ERROR && first_error.status.ok()) {
        first_error = GroupLostIsRetryable(RedisReplyFailure(endpoint, c, reply.get(), command[0]));
      }
    }
    return first_error;
  }

  // The group vanished (a server restarted without persistence): the
  // reconnect after a retryable failure creates it again.
  static RedisTry GroupLostIsRetryable(RedisTry t) {
    if (t.error_reply.starts_with("NOGROUP")) t.retry = true;
    return t;
  }

  // Claims the entries of consumers idle for claim_idle_ms (ours included:
  // harmless), so that the replay hands them to this consumer.
  RedisTry ClaimIdle() {
    last_claim = Clock::now();
    if (options.claim_idle_ms <= 0 || !claim_supported) return {};
    const std::string idle = absl::StrCat(options.claim_idle_ms);
    std::string cursor = "0-0";
    int64_t claimed = 0;
    do {
      RedisReply reply;
      RedisTry t = RunRedisCommand(endpoint, connection.get(),
                                   {"XAUTOCLAIM", options.stream, options.group, options.consumer,
                                    idle, cursor, "COUNT", "1000", "JUSTID"},
                                   &reply);
      if (!t.status.ok()) {
        if (!t.error_reply.starts_with("ERR unknown command")) return GroupLostIsRetryable(t);
        spdlog::warn(
            "{}: the server has no XAUTOCLAIM (Redis < 6.2): entries of consumers that "
            "died under another name are not taken over",
            Where());
        claim_supported = false;
        return {};
      }
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
          reply->element[1]->type != REDIS_REPLY_ARRAY) {
        return {absl::InternalError(absl::StrCat(Where(), ": unexpected XAUTOCLAIM reply")), false};
      }
      cursor = Text(reply->element[0]);
      claimed += static_cast<int64_t>(reply->element[1]->elements);
    } while (cursor != "0-0" && !cursor.empty());
    if (claimed > 0) {
      spdlog::info("{}: claimed {} entries unacknowledged for {} ms or more; replaying them",
                   Where(), claimed, options.claim_idle_ms);
      stats.claimed += claimed;
      replaying = true;
      replay_cursor = "0";
    }
    return {};
  }

  // XACK commands for `ids`, appended to `commands`.
  void AddAcks(std::span<const std::string> ids, std::vector<std::vector<std::string>>* commands) {
    for (size_t i = 0; i < ids.size(); i += kAckIdsPerCommand) {
      std::vector<std::string> ack = {"XACK", options.stream, options.group};
      const size_t end = std::min(ids.size(), i + kAckIdsPerCommand);
      ack.insert(ack.end(), ids.begin() + i, ids.begin() + end);
      commands->push_back(std::move(ack));
    }
  }

  RedisTry CreateGroup(std::string_view start_id) {
    RedisTry t =
        RunRedisCommand(endpoint, connection.get(),
                        {"XGROUP", "CREATE", options.stream, options.group, start_id, "MKSTREAM"});
    if (!t.status.ok() && t.error_reply.starts_with("BUSYGROUP")) return {};
    return t;
  }

  // A new connection and the group; then the pending entries are replayed
  // and what was flushed meanwhile is acknowledged.
  RedisTry Connect() {
    connection.reset();
    RedisConnection c;
    RedisTry t = OpenRedisConnection(endpoint, options.connect_timeout_ms,
                                     options.command_timeout_ms + options.block_ms, &c);
    if (!t.status.ok()) return t;
    connection = std::move(c);
    t = CreateGroup(group_created ? std::string_view("0") : std::string_view(options.start_id));
    if (!t.status.ok()) {
      connection.reset();
      return t;
    }
    group_created = true;
    replaying = true;
    replay_cursor = "0";
    if (RedisTry t = AckFlushed(); !t.status.ok()) return t;
    return ClaimIdle();
  }

  RedisTry AckFlushed() {
    if (flushed_ids.empty()) return {};
    std::vector<std::vector<std::string>> commands;
    AddAcks(flushed_ids, &commands);
    RedisTry t = Pipeline(commands);
    if (!t.status.ok()) return t;
    stats.acked += static_cast<int64_t>(flushed_ids.size());
    for (const std::string& id : flushed_ids) held.erase(id);
    flushed_ids.clear();
    return {};
  }

  // One XREADGROUP of up to `count` messages: the pending ones while
  // replaying, else new ones (waiting block_ms). Entries deleted from the
  // stream while pending go to `deleted`; held ones are skipped.
  RedisTry Read(int count, std::vector<StreamMessage>* out, std::vector<std::string>* deleted) {
    const std::string n = absl::StrCat(count);
    const std::string block = absl::StrCat(options.block_ms);
    RedisReply reply;
    RedisTry t = replaying
                     ? RunRedisCommand(endpoint, connection.get(),
                                       {"XREADGROUP", "GROUP", options.group, options.consumer,
                                        "COUNT", n, "STREAMS", options.stream, replay_cursor},
                                       &reply)
                     : RunRedisCommand(endpoint, connection.get(),
                                       {"XREADGROUP", "GROUP", options.group, options.consumer,
                                        "COUNT", n, "BLOCK", block, "STREAMS", options.stream, ">"},
                                       &reply);
    if (!t.status.ok()) {
      if (!t.error_reply.starts_with("NOGROUP")) return t;
      // The server lost the stream or the group (restarted without
      // persistence, or someone deleted it): what the stream holds now has
      // not been consumed.
      spdlog::warn(
          "{}: consumer group '{}' is gone ({}); creating it again from the start of "
          "the stream",
          Where(), options.group, t.error_reply);
      replaying = true;
      replay_cursor = "0";
      return CreateGroup("0");
    }
    size_t entries_read = 0;
    std::string last_id;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
      const redisReply* stream = reply->element[0];
      if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2 ||
          stream->element[1]->type != REDIS_REPLY_ARRAY) {
        return {absl::InternalError(absl::StrCat(Where(), ": unexpected XREADGROUP reply")), false};
      }
      const redisReply* entries = stream->element[1];
      entries_read = entries->elements;
      for (size_t i = 0; i < entries->elements; ++i) {
        const redisReply* entry = entries->element[i];
        if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) {
          return {absl::InternalError(absl::StrCat(Where(), ": unexpected stream entry")), false};
        }
        StreamMessage m{.id = Text(entry->element[0])};
        last_id = m.id;
        if (held.contains(m.id)) continue;
        const redisReply* fields = entry->element[1];
        if (fields->type != REDIS_REPLY_ARRAY) {
          deleted->push_back(std::move(m.id));
          continue;
        }
        for (size_t f = 0; f + 1 < fields->elements; f += 2) {
          m.fields.emplace_back(Text(fields->element[f]), Text(fields->element[f + 1]));
        }
        out->push_back(std::move(m));
      }
    }
    if (replaying) {
      if (entries_read == 0) {
        replaying = false;
      } else {
        replay_cursor = last_id;
      }
    }
    return {};
  }

  // Pushes, dead-letters and acknowledges (or buffers for the sink) one read.
  RedisTry Handle(const std::vector<StreamMessage>& messages, bool replayed) {
    ParsedStreamBatch parsed = ParseStreamMessages(definitions, options.default_view, messages);
    std::vector<bool> refused(parsed.views.size(), false);
    for (size_t v = 0; v < parsed.views.size(); ++v) {
      ParsedStreamBatch::ViewRows& rows = parsed.views[v];
      // A message's id in its stream identifies its event: a replay of it
      // after a crash is not counted twice by windowed aggregates.
      rows.request.event_ids.clear();
      for (size_t m : rows.messages) {
        rows.request.event_ids.push_back(absl::StrCat(options.stream, "/", messages[m].id));
      }
      StatusOr<int64_t> written = PushToOnlineStore(definitions, rows.request, *store);
      if (written.ok()) {
        int64_t latest = 0;
        for (int64_t t : rows.event_times) latest = std::max(latest, t);
        stats.pushed += static_cast<int64_t>(rows.messages.size());
        stats.latest_event_time_us = std::max(stats.latest_event_time_us, latest);
        stats.lag_us = NowMicros() - latest;
        continue;
      }
      const Status& s = written.status();
      const std::string message =
          absl::StrCat("online store (", std::string(store->kind()), "): ", s.message());
      if (absl::IsUnavailable(s)) return RetryableRedisFailure(message);
      if (!absl::IsInvalidArgument(s) && !absl::IsNotFound(s)) {
        return {Status(s.code(), message), false};
      }
      refused[v] = true;  // the rows themselves are wrong: dead letters
      for (size_t m : rows.messages) parsed.bad.push_back({m, message});
    }

    std::vector<std::vector<std::string>> commands;
    std::vector<std::string> done_ids;
    const std::string& dead = options.dead_letter_stream;
    for (const ParsedStreamBatch::Bad& bad : parsed.bad) {
      const StreamMessage& m = messages[bad.message];
      std::vector<std::string> xadd = {"XADD", dead, "*"};
      for (const auto& [field, text] : m.fields) {
        xadd.push_back(field);
        xadd.push_back(text);
      }
      xadd.insert(xadd.end(), {"error", bad.reason, "id", m.id});
      commands.push_back(std::move(xadd));
      done_ids.push_back(m.id);
    }
    if (sink == nullptr) {  // else acknowledged after the sink's flush
      for (size_t v = 0; v < parsed.views.size(); ++v) {
        if (refused[v]) continue;
        for (size_t m : parsed.views[v].messages) done_ids.push_back(messages[m].id);
      }
    }
    AddAcks(done_ids, &commands);
    if (!commands.empty()) {
      if (RedisTry t = Pipeline(commands); !t.status.ok()) return t;
    }

    // The read is done: count it, keep the good events for the sink.
    if (sink != nullptr) {
      for (size_t v = 0; v < parsed.views.size(); ++v) {
        if (!refused[v]) Buffer(parsed.views[v], messages);
      }
    }
    const int64_t handled = static_cast<int64_t>(messages.size());
    stats.read += handled;
    if (replayed) stats.replayed += handled;
    stats.dead_lettered += static_cast<int64_t>(parsed.bad.size());
    stats.acked += static_cast<int64_t>(done_ids.size());
    if (!messages.empty()) stats.last_id = messages.back().id;
    for (const ParsedStreamBatch::Bad& bad : parsed.bad) {
      spdlog::warn("{}: message {} dead-lettered to '{}': {}", Where(), messages[bad.message].id,
                   dead, bad.reason);
    }
    return {};
  }

  void Buffer(const ParsedStreamBatch::ViewRows& rows, const std::vector<StreamMessage>& messages) {
    const FeatureView* view = definitions.FindView(rows.request.feature_view);
    auto it = std::find_if(buffered.begin(), buffered.end(),
                           [&](const OfflineEvents& e) { return e.view == view; });
    if (it == buffered.end()) {
      buffered.push_back({.view = view});
      it = buffered.end() - 1;
    }
    it->batches.push_back(rows.request.rows);
    it->rows += rows.request.rows.num_rows();
    for (size_t m : rows.messages) {
      const StreamMessage& message = messages[m];
      json fields = json::object();
      for (const auto& [field, text] : message.fields) fields[field] = text;
      it->raw_jsonl += json{{"id", message.id}, {"fields", std::move(fields)}}.dump();
      it->raw_jsonl += '\n';
      if (it->first_id.empty()) it->first_id = message.id;
      it->last_id = message.id;
      buffered_ids.push_back(message.id);
      held.insert(message.id);
    }
    if (!buffered_since) buffered_since = Clock::now();
  }

  bool FlushDue() const {
    if (buffered_ids.empty()) return false;
    return static_cast<int64_t>(buffered_ids.size()) >= options.offline_flush_events ||
           Clock::now() - *buffered_since >=
               std::chrono::milliseconds(options.offline_flush_interval_ms);
  }

  // Hands the buffered events to the sink, then acknowledges them.
  RedisTry Flush() {
    if (!buffered_ids.empty()) {
      for (const OfflineEvents& events : buffered) {
        if (Status s = sink->Append(events); !s.ok()) {
          return {Status(s.code(), absl::StrCat("offline append of ", events.rows,
                                                " events of feature view '", events.view->name,
                                                "': ", s.message(),
                                                " (the events stay pending in the stream and are "
                                                "replayed at the next start)")),
                  false};
        }
        stats.offline_appended += events.rows;
      }
      ++stats.offline_flushes;
      flushed_ids.insert(flushed_ids.end(), buffered_ids.begin(), buffered_ids.end());
      buffered_ids.clear();
      buffered.clear();
      buffered_since.reset();
    }
    if (connection == nullptr) return RetryableRedisFailure("not connected");
    return AckFlushed();
  }

  // One read and what follows it; `remaining` > 0 caps the read.
  RedisTry Step(int64_t remaining) {
    if (connection == nullptr) {
      if (RedisTry t = Connect(); !t.status.ok()) return t;
    }
    if (options.claim_idle_ms > 0 &&
        Clock::now() - last_claim >= std::chrono::milliseconds(options.claim_idle_ms / 2)) {
      if (RedisTry t = ClaimIdle(); !t.status.ok()) return t;
    }
    int count = options.batch;
    if (remaining > 0) count = static_cast<int>(std::min<int64_t>(count, remaining));
    const bool replayed = replaying;
    std::vector<StreamMessage> messages;
    std::vector<std::string> deleted;
    if (RedisTry t = Read(count, &messages, &deleted); !t.status.ok()) return t;
    if (!deleted.empty()) {
      spdlog::warn(
          "{}: {} pending entries were deleted from the stream before they were "
          "handled; acknowledging them",
          Where(), deleted.size());
      std::vector<std::vector<std::string>> commands;
      AddAcks(deleted, &commands);
      if (RedisTry t = Pipeline(commands); !t.status.ok()) return t;
    }
    if (!messages.empty()) {
      if (RedisTry t = Handle(messages, replayed); !t.status.ok()) return t;
    }
    if (sink != nullptr && FlushDue()) return Flush();
    return {};
  }

  // After a retryable failure: logs, and waits (false: stop() asked).
  bool Backoff(const std::function<bool()>& stop) {
    const int64_t wait_ms = std::min<int64_t>(
        options.max_backoff_ms, static_cast<int64_t>(std::max(1, options.retry_backoff_ms))
                                    << std::min(failures, 20));
    ++failures;
    const auto deadline = Clock::now() + std::chrono::milliseconds(wait_ms);
    while (Clock::now() < deadline) {
      if (stop && stop()) return false;
      std::this_thread::sleep_for(
          std::min<Clock::duration>(deadline - Clock::now(), std::chrono::milliseconds(50)));
    }
    return true;
  }

  void NoteFailure(const Status& status) {
    last_error = std::string(status.message());
    const auto now = Clock::now();
    if (!failing_since) {
      failing_since = now;
      last_outage_log = now;
      spdlog::warn("{}: {}; retrying (waits up to {} ms{})", Where(), last_error,
                   options.max_backoff_ms,
                   options.give_up_after_ms > 0
                       ? absl::StrCat(", giving up after ", options.give_up_after_ms, " ms")
                       : std::string(", until it answers"));
    } else if (now - last_outage_log >= kOutageLogEvery) {
      last_outage_log = now;
      spdlog::warn("{}: still failing after {:.0f} s: {}", Where(), SecondsSince(*failing_since),
                   last_error);
    }
  }

  void NoteSuccess() {
    if (!failing_since) return;
    spdlog::info("{}: working again after {:.1f} s (pending entries are replayed)", Where(),
                 SecondsSince(*failing_since));
    ++stats.outages;
    failing_since.reset();
    failures = 0;
  }

  bool GaveUp() const {
    return failing_since && options.give_up_after_ms > 0 &&
           Clock::now() - *failing_since >= std::chrono::milliseconds(options.give_up_after_ms);
  }

  Status GiveUpError() const {
    return absl::UnavailableError(absl::StrFormat(
        "%s: failing for %.1f s, giving up: %s; is redis-server running at %s? (the consumer "
        "retries for give_up_after_ms = %d ms; 0 retries forever)",
        Where(), SecondsSince(*failing_since), last_error, endpoint.name,
        options.give_up_after_ms));
  }

  // At the end of Run: the last flush, tried a few times when Redis fails.
  Status FinalFlush() {
    for (int i = 0;; ++i) {
      RedisTry t = Flush();
      if (t.status.ok()) return absl::OkStatus();
      if (!t.retry) return t.status;
      connection.reset();
      if (i + 1 == kFinalAckTries) {
        return absl::UnavailableError(absl::StrCat(
            Where(), ": ", flushed_ids.size(),
            " events were appended to the offline store but could not be acknowledged (",
            t.status.message(),
            "); they are replayed at the next start and may be appended again"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(options.retry_backoff_ms << i));
      if (RedisTry c = Connect(); !c.status.ok() && !c.retry) return c.status;
    }
  }
};

StreamConsumer::StreamConsumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StreamConsumer::~StreamConsumer() = default;

StatusOr<std::unique_ptr<StreamConsumer>> StreamConsumer::Create(FeatureDefinitions definitions,
                                                                 OnlineStore& store,
                                                                 OfflineEventSink* sink,
                                                                 StreamOptions options) {
  auto bad = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("stream consumer: ", std::string(what)));
  };
  if (options.stream.empty()) return bad("no stream name");
  if (options.group.empty()) return bad("no consumer group name");
  if (options.consumer.empty()) return bad("no consumer name");
  if (options.batch <= 0) return bad(absl::StrCat("batch must be positive, not ", options.batch));
  if (options.block_ms <= 0) {
    return bad(absl::StrCat("block_ms must be positive, not ", options.block_ms));
  }
  if (!options.default_view.empty() && definitions.FindView(options.default_view) == nullptr) {
    std::vector<std::string> names;
    for (const FeatureView& v : definitions.views) names.push_back(v.name);
    return absl::NotFoundError(absl::StrCat(
        "stream consumer: unknown default feature view '", options.default_view, "'.",
        DidYouMean(options.default_view, names), " Views: ", absl::StrJoin(names, ", ")));
  }
  if (sink != nullptr && options.claim_idle_ms > 0 &&
      options.claim_idle_ms < 2 * options.offline_flush_interval_ms) {
    return bad(absl::StrCat("claim_idle_ms (", options.claim_idle_ms,
                            ") must be at least twice offline_flush_interval_ms (",
                            options.offline_flush_interval_ms,
                            "), or a live consumer's unflushed events would be claimed"));
  }
  if (options.dead_letter_stream.empty()) options.dead_letter_stream = options.stream + ":dead";
  auto impl = std::make_unique<Impl>();
  KEEL_ASSIGN_OR_RETURN(impl->endpoint, ParseRedisUrl(options.redis_url));
  impl->definitions = std::move(definitions);
  impl->store = &store;
  impl->sink = sink;
  impl->options = std::move(options);
  if (RedisTry t = impl->Connect(); !t.status.ok()) {
    if (!t.retry) return t.status;
    const std::string& name = impl->endpoint.name;
    return absl::UnavailableError(absl::StrCat("stream consumer: cannot reach redis at ", name,
                                               ": ", t.status.message(),
                                               "; is redis-server running at ", name, "?"));
  }
  return std::unique_ptr<StreamConsumer>(new StreamConsumer(std::move(impl)));
}

Status StreamConsumer::Run(const std::function<bool()>& stop,
                           const std::function<void(const StreamStats&)>& on_progress) {
  Impl& impl = *impl_;
  const int64_t max_events = impl.options.max_events;
  while (!(stop && stop()) && !(max_events > 0 && impl.stats.read >= max_events)) {
    RedisTry t = impl.Step(max_events > 0 ? max_events - impl.stats.read : 0);
    if (t.status.ok()) {
      impl.NoteSuccess();
    } else if (!t.retry) {
      return t.status;
    } else {
      impl.connection.reset();
      impl.NoteFailure(t.status);
      if (impl.GaveUp()) return impl.GiveUpError();
      if (!impl.Backoff(stop)) break;
      if (impl.GaveUp()) return impl.GiveUpError();
    }
    if (on_progress) on_progress(impl.stats);
  }
  if (impl.sink != nullptr) KEEL_RETURN_IF_ERROR(impl.FinalFlush());
  if (on_progress) on_progress(impl.stats);
  return absl::OkStatus();
}

const StreamStats& StreamConsumer::stats() const { return impl_->stats; }
const std::string& StreamConsumer::dead_letter_stream() const {
  return impl_->options.dead_letter_stream;
}

}  // namespace keel::features
