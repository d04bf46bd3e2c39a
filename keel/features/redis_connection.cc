#include "keel/features/redis_connection.h"

#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace keel::features {
namespace {

Status BadUrl(std::string_view url, std::string_view what) {
  // The URL is not echoed whole: it may hold a password.
  const std::string_view scheme = url.substr(0, url.find("://"));
  return absl::InvalidArgumentError(absl::StrCat(
      "redis url (", std::string(scheme), "://...): ", std::string(what),
      "; expected redis://[:password@]host[:port][/db] or unix:///path/to/socket[?db=N]"));
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int hex = 0;
    if (s[i] == '%' && i + 2 < s.size() &&
        std::from_chars(s.data() + i + 1, s.data() + i + 3, hex, 16).ptr == s.data() + i + 3) {
      out.push_back(static_cast<char>(hex));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

StatusOr<int> ParseNumber(std::string_view url, std::string_view text, std::string_view what,
                          int max) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > max) {
    return BadUrl(url, absl::StrCat(std::string(what), " '", std::string(text),
                                    "' is not a number in [0, ", max, "]"));
  }
  return value;
}

timeval ToTimeval(int ms) {
  ms = std::max(ms, 1);
  return timeval{.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

}  // namespace

StatusOr<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  RedisEndpoint e;
  if (url.starts_with("unix://")) {
    url.remove_prefix(7);
    e.unix_socket = true;
    const size_t q = url.find('?');
    e.host = std::string(url.substr(0, q));
    if (e.host.empty() || e.host[0] != '/') {
      return BadUrl("unix://", "the socket path must be absolute");
    }
    std::string_view query = q == std::string_view::npos ? "" : url.substr(q + 1);
    while (!query.empty()) {
      const std::string_view param = query.substr(0, query.find('&'));
      query.remove_prefix(std::min(query.size(), param.size() + 1));
      if (param.starts_with("db=")) {
        KEEL_ASSIGN_OR_RETURN(e.db, ParseNumber("unix://", param.substr(3), "db", 1 << 20));
      } else if (param.starts_with("password=")) {
        e.password = PercentDecode(param.substr(9));
      } else {
        return BadUrl("unix://", absl::StrCat("unknown parameter '",
                                              std::string(param.substr(0, param.find('='))),
                                              "' (known: db, password)"));
      }
    }
    e.name = e.host;
    return e;
  }
  if (!url.starts_with("redis://")) return BadUrl(url, "unknown scheme");
  url.remove_prefix(8);
  if (const size_t at = url.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = url.substr(0, at);
    if (!userinfo.starts_with(':'))
      return BadUrl("redis://", "the part before '@' must be :password");
    e.password = PercentDecode(userinfo.substr(1));
    url.remove_prefix(at + 1);
  }
  const size_t slash = url.find('/');
  std::string_view hostport = url.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < url.size()) {
    KEEL_ASSIGN_OR_RETURN(e.db, ParseNumber("redis://", url.substr(slash + 1), "db", 1 << 20));
  }
  if (const size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    KEEL_ASSIGN_OR_RETURN(e.port,
                          ParseNumber("redis://", hostport.substr(colon + 1), "port", 65535));
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) return BadUrl("redis://", "no host");
  e.host = std::string(hostport);
  e.name = absl::StrCat(e.host, ":", e.port);
  return e;
}

RedisTry RetryableRedisFailure(std::string message) {
  return {absl::UnavailableError(std::move(message)), true};
}

RedisTry RedisReplyFailure(const RedisEndpoint& e, redisContext* c, const redisReply* reply,
                           std::string_view what) {
  if (reply == nullptr) {
    return RetryableRedisFailure(absl::StrCat(std::string(what), ": ", c->errstr));
  }
  const std::string message(reply->str, reply->len);
  if (message.starts_with("LOADING") || message.starts_with("TRYAGAIN") ||
      message.starts_with("MASTERDOWN")) {
    RedisTry t = RetryableRedisFailure(absl::StrCat(std::string(what), ": ", message));
    t.error_reply = message;
    return t;
  }
  if (message.starts_with("NOAUTH") || message.starts_with("WRONGPASS") ||
      message.starts_with("ERR AUTH") || message.starts_with("ERR invalid password") ||
      message.starts_with("ERR Client sent AUTH")) {
    return {absl::UnavailableError(absl::StrCat(
                "redis at ", e.name, " refused us (", message,
                "); give the right password in the url: redis://:PASSWORD@host:port/db")),
            false, message};
  }
  return {absl::InternalError(
              absl::StrCat("redis at ", e.name, ": ", std::string(what), ": ", message)),
          false, message};
}

RedisTry RunRedisCommand(const RedisEndpoint& e, redisContext* c,
                         std::span<const std::string_view> args, RedisReply* out) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (std::string_view a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  RedisReply reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data())));
  if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
    return RedisReplyFailure(e, c, reply.get(), args.empty() ? "" : args.front());
  }
  if (out != nullptr) *out = std::move(reply);
  return {};
}

RedisTry OpenRedisConnection(const RedisEndpoint& e, int connect_timeout_ms, int command_timeout_ms,
                             RedisConnection* out) {
  const timeval connect_timeout = ToTimeval(connect_timeout_ms);
  RedisConnection c(e.unix_socket
                        ? redisConnectUnixWithTimeout(e.host.c_str(), connect_timeout)
                        : redisConnectWithTimeout(e.host.c_str(), e.port, connect_timeout));
  if (c == nullptr) return RetryableRedisFailure("connect: out of memory");
  if (c->err != 0) return RetryableRedisFailure(absl::StrCat("connect: ", c->errstr));
  if (redisSetTimeout(c.get(), ToTimeval(command_timeout_ms)) != REDIS_OK) {
    return RetryableRedisFailure(absl::StrCat("set timeout: ", c->errstr));
  }
  if (!e.password.empty()) {
    if (RedisTry t = RunRedisCommand(e, c.get(), {"AUTH", e.password}); !t.status.ok()) return t;
  }
  if (e.db != 0) {
    const std::string db = absl::StrCat(e.db);
    if (RedisTry t = RunRedisCommand(e, c.get(), {"SELECT", db}); !t.status.ok()) return t;
  }
  *out = std::move(c);
  return {};
}

}  // namespace keel::features
