// AWS Signature Version 4 (header signing), written from the published
// specification: canonical request, string to sign, signing key and the
// Authorization header. Pure functions over strings; thread-safe.
#ifndef KEEL_STORAGE_SIGV4_H_
#define KEEL_STORAGE_SIGV4_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keel {

inline constexpr char kSigV4EmptyPayloadSha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
};

// One HTTP request as it will be sent.
struct SigV4Request {
  std::string method;  // "GET", "PUT", ...
  // The path as sent on the wire, already URI-encoded once ("/bucket/a%20b").
  // S3 signs it as is; other services would normalise it first.
  std::string canonical_uri = "/";
  // Query parameters, not encoded; a parameter without value has "".
  std::vector<std::pair<std::string, std::string>> query;
  // Every header here is signed; "host" and "x-amz-date" must be among them.
  // Names are case-insensitive; repeated names are joined with ','.
  std::vector<std::pair<std::string, std::string>> headers;
  // Lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
  std::string payload_sha256 = kSigV4EmptyPayloadSha256;
};

// RFC 3986 percent-encoding as SigV4 wants it: A-Z a-z 0-9 - _ . ~ kept,
// every other byte as %XX (uppercase); '/' kept unless `encode_slash`.
std::string AwsUriEncode(std::string_view text, bool encode_slash);

// "name=value&..." with names and values encoded, sorted by name, then value.
std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query);

// The canonical request: method, URI, query, canonical headers, signed
// header names and payload hash, one per line.
std::string CanonicalRequest(const SigV4Request& request);

// "host;range;x-amz-date": lowercase header names, sorted, ';'-separated.
std::string SignedHeaderNames(const SigV4Request& request);

// "20150830/us-east-1/service/aws4_request" for amz_date "20150830T123600Z".
std::string CredentialScope(std::string_view amz_date, std::string_view region,
                            std::string_view service);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical request>".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

// The 32-byte signing key: HMAC chain over "AWS4" + secret, date
// ("20150830"), region, service and "aws4_request".
std::string SigningKey(std::string_view secret_access_key, std::string_view date,
                       std::string_view region, std::string_view service);

// The value of the Authorization header:
// "AWS4-HMAC-SHA256 Credential=<key id>/<scope>, SignedHeaders=..., Signature=<hex>".
// `amz_date` is the request's x-amz-date header ("20150830T123600Z").
std::string SigV4Authorization(const SigV4Request& request, const AwsCredentials& credentials,
                               std::string_view region, std::string_view service,
                               std::string_view amz_date);

// The x-amz-date value for a time in seconds since the Unix epoch (UTC).
std::string AmzDate(int64_t unix_seconds);

}  // namespace keel

#endif  // KEEL_STORAGE_SIGV4_H_
