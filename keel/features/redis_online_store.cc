// RedisOnlineStore (layout in the header): writes are one EVALSHA of
// kWriteScript per row, options.rows_per_pipeline rows per round trip; reads
// are one HMGET per key, all keys of a call in one round trip. Besides the
// fields of the header, each hash keeps `_exp`: the key's expiry in Unix
// milliseconds, "0" when it never expires (a view without TTL wrote it).
//
// Failures: a lost connection, a timeout or a server that is still loading
// make the whole round trip be tried again on a new connection (up to
// options.retries times, backing off). Replaying a write round trip is safe:
// the script keeps the newest row per (key, view), equal times overwriting,
// so rows applied before the failure are applied again to the same effect,
// and a failed Write can simply be run again (resumable).
#include "keel/features/redis_online_store.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "keel/features/redis_connection.h"

namespace keel::features {
namespace {

// KEYS[1]: the entity's hash. ARGV[1]: the view's time field (_ts:<view>),
// ARGV[2]: the row's event time (µs, decimal), ARGV[3]: the key's expiry
// for this row (Unix ms, "0": never), ARGV[4]: n, then n field/value pairs
// to set, then the fields to delete (null values). Returns 1 when the row
// was stored, 0 when the hash holds a newer row of the view. `before`
// compares decimal integers exactly (Lua numbers are doubles).
constexpr char kWriteScript[] = R"lua(
local function before(a, b)
  local na, nb = a:byte(1) == 45, b:byte(1) == 45
  if na ~= nb then return na end
  if #a ~= #b then return (#a < #b) ~= na end
  for i = 1, #a do
    local x, y = a:byte(i), b:byte(i)
    if x ~= y then return (x < y) ~= na end
  end
  return false
end
local key = KEYS[1]
local stored = redis.call('HGET', key, ARGV[1])
if stored and before(ARGV[2], stored) then return 0 end
local n = tonumber(ARGV[4])
local set = {ARGV[1], ARGV[2]}
for i = 5, 4 + 2 * n do set[#set + 1] = ARGV[i] end
redis.call('HSET', key, unpack(set))
if #ARGV > 4 + 2 * n then redis.call('HDEL', key, unpack(ARGV, 5 + 2 * n)) end
local exp = redis.call('HGET', key, '_exp')
local new = ARGV[3]
if new == '0' or exp == '0' then
  new = '0'
elseif exp and before(new, exp) then
  new = exp
end
if new == '0' then redis.call('PERSIST', key) else redis.call('PEXPIREAT', key, new) end
redis.call('HSET', key, '_exp', new)
return 1
)lua";

constexpr int kMaxIdleConnections = 16;

using Try = RedisTry;

std::string ExpiryMs(int64_t event_time_us, const std::optional<int64_t>& ttl_us) {
  if (!ttl_us) return "0";
  // Rounded up, so the key outlives every read that may still see the row;
  // at least 1 ("0" means never).
  const __int128 end_us = static_cast<__int128>(event_time_us) + *ttl_us;
  const __int128 ms = end_us >= 0 ? (end_us + 999) / 1000 : end_us / 1000;
  return absl::StrCat(static_cast<int64_t>(std::clamp<__int128>(ms, 1, INT64_MAX)));
}

// The value as stored: the header's text forms.
void AppendText(const Column& column, int64_t row, std::string* out) {
  char buffer[32];
  switch (column.type()) {
    case DataType::kBool:
      out->push_back(column.BoolValues()[row] != 0 ? '1' : '0');
      return;
    case DataType::kInt64:
    case DataType::kTimestamp: {
      const int64_t v = column.type() == DataType::kInt64 ? column.Int64Values()[row]
                                                          : column.TimestampValues()[row];
      out->append(buffer, std::to_chars(buffer, buffer + sizeof(buffer), v).ptr);
      return;
    }
    case DataType::kFloat64:
      out->append(buffer,
                  std::to_chars(buffer, buffer + sizeof(buffer), column.Float64Values()[row]).ptr);
      return;
    case DataType::kString:
      out->append(column.StringAt(row));
      return;
  }
}

// Parses a stored value of type `type`; false when it is not one.
bool ParseText(std::string_view text, DataType type, FeatureValue* v) {
  const char* end = text.data() + text.size();
  v->is_null = false;
  switch (type) {
    case DataType::kBool:
      v->int_value = text == "1" ? 1 : 0;
      return text == "1" || text == "0";
    case DataType::kInt64:
    case DataType::kTimestamp: {
      const auto [ptr, ec] = std::from_chars(text.data(), end, v->int_value);
      return ec == std::errc() && ptr == end && !text.empty();
    }
    case DataType::kFloat64: {
      const auto [ptr, ec] = std::from_chars(text.data(), end, v->float_value);
      return ec == std::errc() && ptr == end && !text.empty();
    }
    case DataType::kString:
      v->string_value.assign(text);
      return true;
  }
  return false;
}

}  // namespace

struct RedisOnlineStore::Impl {
  RedisOptions options;
  RedisEndpoint endpoint;
  std::string script_sha;  // set by Connect, then constant

  absl::Mutex mu;
  std::vector<RedisConnection> idle ABSL_GUARDED_BY(mu);

  std::string Key(std::string_view entity_key) const {
    std::string key = options.key_prefix;
    if (!key.empty()) key.push_back(':');
    return key.append(entity_key);
  }

  RedisConnection TakeIdle() {
    absl::MutexLock lock(&mu);
    if (idle.empty()) return nullptr;
    RedisConnection c = std::move(idle.back());
    idle.pop_back();
    return c;
  }
  void GiveBack(RedisConnection c) {
    absl::MutexLock lock(&mu);
    if (c->err == 0 && idle.size() < kMaxIdleConnections) idle.push_back(std::move(c));
  }
  // After a failure the other idle connections are likely stale too.
  void DropIdle() {
    std::vector<RedisConnection> stale;
    absl::MutexLock lock(&mu);
    stale.swap(idle);
  }

  // Runs `attempt(connection)` until it succeeds or fails for good; a
  // retryable failure is tried again on a new connection after
  // retry_backoff_ms * 2^retry. `what` names the operation in messages.
  template <typename F>
  Status WithRetries(std::string_view what, F&& attempt) {
    const int tries = 1 + std::max(0, options.retries);
    std::string last;
    for (int i = 0; i < tries; ++i) {
      if (i > 0) {
        DropIdle();
        const int64_t wait_ms = static_cast<int64_t>(std::max(0, options.retry_backoff_ms))
                                << std::min(i - 1, 20);
        std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
      }
      RedisConnection c = i == 0 ? TakeIdle() : nullptr;
      Try t;
      if (c == nullptr) {
        t = OpenRedisConnection(endpoint, options.connect_timeout_ms, options.command_timeout_ms,
                                &c);
      }
      if (t.status.ok()) t = attempt(c.get());
      if (t.status.ok()) {
        GiveBack(std::move(c));
        return absl::OkStatus();
      }
      if (!t.retry) return t.status;
      last = std::string(t.status.message());
    }
    return absl::UnavailableError(
        absl::StrCat("redis online store: ", std::string(what), " failed after ", tries,
                     tries == 1 ? " try" : " tries", " against redis at ", endpoint.name, ": ",
                     last, "; is redis-server running at ", endpoint.name,
                     "? (RedisOptions.retries and retry_backoff_ms set how long to wait for it)"));
  }

  // Loads the write script; its SHA (the same on every server) goes to
  // `sha` when not null.
  Try LoadScript(redisContext* c, std::string* sha) {
    RedisReply reply;
    if (Try t = RunRedisCommand(endpoint, c, {"SCRIPT", "LOAD", kWriteScript}, &reply);
        !t.status.ok()) {
      return t;
    }
    if (!IsRedisText(reply.get())) {
      return {absl::InternalError("redis SCRIPT LOAD: no SHA"), false};
    }
    if (sha != nullptr) sha->assign(reply->str, reply->len);
    return {};
  }

  Try WriteChunk(redisContext* c, const OnlineView& view, const OnlineWriteBatch& batch,
                 std::span<const Column* const> columns, int64_t begin, int64_t end,
                 int64_t* stored);
};

RedisOnlineStore::RedisOnlineStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RedisOnlineStore::~RedisOnlineStore() = default;

StatusOr<std::unique_ptr<RedisOnlineStore>> RedisOnlineStore::Connect(const RedisOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  KEEL_ASSIGN_OR_RETURN(impl->endpoint, ParseRedisUrl(options.url));
  RedisConnection c;
  Try t = OpenRedisConnection(impl->endpoint, options.connect_timeout_ms,
                              options.command_timeout_ms, &c);
  if (t.status.ok()) t = impl->LoadScript(c.get(), &impl->script_sha);
  if (!t.status.ok()) {
    if (!t.retry) return t.status;
    const std::string& name = impl->endpoint.name;
    return absl::UnavailableError(absl::StrCat("redis online store: cannot reach redis at ", name,
                                               ": ", t.status.message(),
                                               "; is redis-server running at ", name, "?"));
  }
  impl->GiveBack(std::move(c));
  return std::unique_ptr<RedisOnlineStore>(new RedisOnlineStore(std::move(impl)));
}

Try RedisOnlineStore::Impl::WriteChunk(redisContext* c, const OnlineView& view,
                                       const OnlineWriteBatch& batch,
                                       std::span<const Column* const> columns, int64_t begin,
                                       int64_t end, int64_t* stored) {
  const std::string ts_field = "_ts:" + view.name;
  std::vector<std::string> fields;
  for (const TypedName& f : view.features) fields.push_back(absl::StrCat(view.name, ":", f.name));
  // Per row: EVALSHA sha 1 key ts_field time expiry n (field value)* field*.
  std::vector<std::string> args;  // reused from row to row (keeps capacity)
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (int pass = 0; pass < 2; ++pass) {
    for (int64_t r = begin; r < end; ++r) {
      size_t n = 0;
      auto arg = [&](std::string_view text) -> std::string& {
        if (n == args.size()) args.emplace_back();
        return args[n++].assign(text);
      };
      int set = 0;
      for (const Column* col : columns) set += col != nullptr && !col->IsNull(r);
      arg("EVALSHA");
      arg(script_sha);
      arg("1");
      arg(Key(batch.keys[r]));
      arg(ts_field);
      arg(absl::StrCat(batch.event_times[r]));
      arg(ExpiryMs(batch.event_times[r], view.ttl_us));
      arg(absl::StrCat(set));
      for (size_t f = 0; f < columns.size(); ++f) {
        if (columns[f] == nullptr || columns[f]->IsNull(r)) continue;
        arg(fields[f]);
        AppendText(*columns[f], r, &arg(""));
      }
      for (size_t f = 0; f < columns.size(); ++f) {
        if (columns[f] == nullptr || columns[f]->IsNull(r)) arg(fields[f]);
      }
      argv.clear();
      lengths.clear();
      for (size_t i = 0; i < n; ++i) {
        argv.push_back(args[i].data());
        lengths.push_back(args[i].size());
      }
      if (redisAppendCommandArgv(c, static_cast<int>(n), argv.data(), lengths.data()) != REDIS_OK) {
        return RetryableRedisFailure(absl::StrCat("EVALSHA: ", c->errstr));
      }
    }
    // On any failure but NOSCRIPT the caller drops the connection, so the
    // replies left unread do not matter.
    int64_t ok = 0;
    bool noscript = false;
    for (int64_t r = begin; r < end; ++r) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK) {
        return RedisReplyFailure(endpoint, c, nullptr, "EVALSHA");
      }
      RedisReply reply(static_cast<redisReply*>(raw));
      if (reply->type == REDIS_REPLY_INTEGER) {
        ok += reply->integer;
      } else if (reply->type != REDIS_REPLY_ERROR) {
        return {absl::InternalError("redis write script: unexpected reply"), false};
      } else if (std::string_view(reply->str, reply->len).starts_with("NOSCRIPT")) {
        noscript = true;
      } else {
        return RedisReplyFailure(endpoint, c, reply.get(),
                                 absl::StrCat("write of key '", Key(batch.keys[r]), "'"));
      }
    }
    if (!noscript) {
      *stored = ok;
      return {};
    }
    // The server lost its script cache (restarted, SCRIPT FLUSH): load the
    // script and replay the chunk (harmless, see the file comment).
    if (Try t = LoadScript(c, nullptr); !t.status.ok()) return t;
  }
  return RetryableRedisFailure("EVALSHA: the server keeps answering NOSCRIPT");
}

StatusOr<int64_t> RedisOnlineStore::Write(const OnlineView& view, const OnlineWriteBatch& batch) {
  const size_t rows = batch.keys.size();
  if (batch.event_times.size() != rows ||
      (batch.values != nullptr && static_cast<size_t>(batch.values->num_rows()) != rows)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "online write to view '", view.name, "': ", rows, " keys, ", batch.event_times.size(),
        " event times and ", batch.values == nullptr ? 0 : batch.values->num_rows(),
        " value rows; they must be as many"));
  }
  // The column of each feature (nullptr: none, written as null), checked
  // before anything is sent.
  std::vector<const Column*> columns(view.features.size(), nullptr);
  for (size_t f = 0; f < view.features.size() && batch.values != nullptr; ++f) {
    const TypedName& feature = view.features[f];
    const int index = batch.values->schema().IndexOf(feature.name);
    if (index < 0) continue;
    const Column& column = batch.values->column(index);
    if (column.type() != feature.type) {
      return absl::InvalidArgumentError(absl::StrCat(
          "online write to view '", view.name, "': feature '", feature.name, "' is declared ",
          std::string(DataTypeName(feature.type)), " but its column is ",
          std::string(DataTypeName(column.type())), "; cast the column or fix the feature's type",
          feature.where.empty() ? "" : absl::StrCat(" (declared at ", feature.where, ")")));
    }
    columns[f] = &column;
  }
  const int64_t chunk = std::max(1, impl_->options.rows_per_pipeline);
  int64_t stored = 0;
  for (int64_t begin = 0; begin < static_cast<int64_t>(rows); begin += chunk) {
    const int64_t end = std::min<int64_t>(static_cast<int64_t>(rows), begin + chunk);
    int64_t chunk_stored = 0;
    const Status status = impl_->WithRetries("write", [&](redisContext* c) {
      return impl_->WriteChunk(c, view, batch, columns, begin, end, &chunk_stored);
    });
    if (!status.ok()) {
      return Status(
          status.code(),
          absl::StrCat(status.message(), " (view '", view.name, "': the first ", begin, " of ",
                       rows, " rows were written; running the same Write again is safe)"));
    }
    stored += chunk_stored;
  }
  return stored;
}

Status RedisOnlineStore::Read(const OnlineView& view, std::span<const std::string> keys,
                              std::span<const std::string> features, int64_t now_us,
                              std::vector<OnlineRow>* out) {
  KEEL_ASSIGN_OR_RETURN(const std::vector<TypedName> wanted, view.Resolve(features));
  out->assign(keys.size(), OnlineRow());
  for (OnlineRow& row : *out) {
    row.values.resize(wanted.size());
    for (size_t f = 0; f < wanted.size(); ++f) row.values[f].type = wanted[f].type;
  }
  if (keys.empty()) return absl::OkStatus();

  // HMGET key _ts:<view> <view>:<feature>...; argv[1] is set per key.
  std::vector<std::string> fields = {"_ts:" + view.name};
  for (const TypedName& f : wanted) fields.push_back(absl::StrCat(view.name, ":", f.name));
  std::vector<const char*> argv = {"HMGET", nullptr};
  std::vector<size_t> lengths = {5, 0};
  for (const std::string& f : fields) {
    argv.push_back(f.data());
    lengths.push_back(f.size());
  }
  std::vector<RedisReply> replies(keys.size());
  const Status status = impl_->WithRetries("read", [&](redisContext* c) -> Try {
    std::string key;
    for (const std::string& k : keys) {
      key = impl_->Key(k);
      argv[1] = key.data();
      lengths[1] = key.size();
      if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()) !=
          REDIS_OK) {
        return RetryableRedisFailure(absl::StrCat("HMGET: ", c->errstr));
      }
    }
    for (RedisReply& reply : replies) {
      void* raw = nullptr;
      const bool ok = redisGetReply(c, &raw) == REDIS_OK;
      reply.reset(static_cast<redisReply*>(raw));
      if (!ok || reply->type == REDIS_REPLY_ERROR) {
        return RedisReplyFailure(impl_->endpoint, c, reply.get(), "HMGET");  // drops `c`
      }
    }
    return {};
  });
  KEEL_RETURN_IF_ERROR(status);

  for (size_t k = 0; k < keys.size(); ++k) {
    const redisReply* reply = replies[k].get();
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != fields.size()) {
      return absl::InternalError("redis HMGET: unexpected reply shape");
    }
    auto corrupt = [&](size_t field) {
      return absl::DataLossError(absl::StrCat("redis at ", impl_->endpoint.name, ": key '",
                                              impl_->Key(keys[k]), "' field '", fields[field],
                                              "' does not hold a valid value"));
    };
    const redisReply* ts = reply->element[0];
    if (!IsRedisText(ts)) continue;  // no row of this view
    FeatureValue time;
    if (!ParseText(std::string_view(ts->str, ts->len), DataType::kInt64, &time)) {
      return corrupt(0);
    }
    if (view.ttl_us &&
        static_cast<__int128>(time.int_value) < static_cast<__int128>(now_us) - *view.ttl_us) {
      (*out)[k].expired = true;  // expired at now_us: values stay null
      continue;
    }
    OnlineRow& row = (*out)[k];
    row.found = true;
    row.event_time = time.int_value;
    for (size_t f = 0; f < wanted.size(); ++f) {
      const redisReply* v = reply->element[f + 1];
      if (!IsRedisText(v)) continue;  // null
      if (!ParseText(std::string_view(v->str, v->len), wanted[f].type, &row.values[f])) {
        return corrupt(f + 1);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace keel::features
