// Low-level hiredis helpers shared by the Redis online store and the stream
// consumer: the server's URL, one blocking connection (AUTH, SELECT), one
// command, and telling a failure worth another try on a new connection
// (connection lost, timeout, server loading) from a final one.
#ifndef KEEL_FEATURES_REDIS_CONNECTION_H_
#define KEEL_FEATURES_REDIS_CONNECTION_H_

#include <hiredis/hiredis.h>

#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "keel/base/status.h"

namespace keel::features {

struct RedisReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;
struct RedisContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
// One blocking hiredis connection; not thread-safe.
using RedisConnection = std::unique_ptr<redisContext, RedisContextDeleter>;

// Where the server is.
struct RedisEndpoint {
  bool unix_socket = false;
  std::string host;  // or the socket's path
  int port = 6379;
  std::string password;
  int db = 0;
  std::string name;  // "host:port" or the socket's path, for messages (no password)
};

// Parses redis://[:password@]host[:port][/db] or
// unix:///path/to/socket[?db=N][&password=P] (password percent-decoded).
// Errors: InvalidArgument saying what is wrong and the expected forms; the
// URL is never echoed whole (it may hold a password).
StatusOr<RedisEndpoint> ParseRedisUrl(std::string_view url);

// The outcome of one try: OK, a failure worth another try on a new
// connection (`retry`), or a final one.
struct RedisTry {
  Status status;
  bool retry = false;
  std::string error_reply;  // the server's error reply ("NOGROUP ..."), when it sent one
};
// Unavailable(message), worth another try.
RedisTry RetryableRedisFailure(std::string message);

// A transport failure (reply == nullptr: c->errstr) or a server error reply,
// classified: LOADING / TRYAGAIN / MASTERDOWN and transport failures are
// retryable (Unavailable); a refused AUTH is a final Unavailable saying how
// to give the password; anything else a final Internal naming the server and
// `what`.
RedisTry RedisReplyFailure(const RedisEndpoint& endpoint, redisContext* c, const redisReply* reply,
                           std::string_view what);

// Runs one command (blocking, binary-safe arguments). `out`, when given,
// receives the reply unless it is an error. args[0] names the command in
// messages.
RedisTry RunRedisCommand(const RedisEndpoint& endpoint, redisContext* c,
                         std::span<const std::string_view> args, RedisReply* out = nullptr);
inline RedisTry RunRedisCommand(const RedisEndpoint& endpoint, redisContext* c,
                                std::initializer_list<std::string_view> args,
                                RedisReply* out = nullptr) {
  return RunRedisCommand(endpoint, c, std::span<const std::string_view>(args.begin(), args.size()),
                         out);
}

// A new connection with these timeouts (milliseconds; at least 1),
// authenticated and on the endpoint's database. Failures to connect are
// retryable.
RedisTry OpenRedisConnection(const RedisEndpoint& endpoint, int connect_timeout_ms,
                             int command_timeout_ms, RedisConnection* out);

// True for a string or status reply.
inline bool IsRedisText(const redisReply* r) {
  return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS;
}

}  // namespace keel::features

#endif  // KEEL_FEATURES_REDIS_CONNECTION_H_
