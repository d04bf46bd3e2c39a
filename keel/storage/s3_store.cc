#include "keel/storage/s3_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "keel/base/files.h"
#include "keel/base/hash.h"
#include "keel/storage/s3_xml.h"

namespace keel {
namespace {

constexpr int64_t kMinPartBytes = int64_t{5} << 20;  // S3's minimum (all parts but the last)
constexpr int64_t kMaxParts = 10'000;

bool IsIpLiteralOrLocalhost(std::string_view host) {
  if (host == "localhost" || (!host.empty() && host.front() == '[')) return true;  // IPv6
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
}

// A bucket name that can be a DNS label (virtual-hosted addressing).
bool IsDnsCompatibleBucket(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  return std::all_of(bucket.begin(), bucket.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

absl::StatusCode CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
    case 501:
      return absl::StatusCode::kUnimplemented;
    case 409:
    case 412:
      return absl::StatusCode::kFailedPrecondition;
    case 416:
      return absl::StatusCode::kOutOfRange;
    case 429:
    case 502:
    case 503:
    case 504:
      return absl::StatusCode::kUnavailable;
    case 500:
      return absl::StatusCode::kInternal;
    default:
      return status >= 500 ? absl::StatusCode::kUnavailable : absl::StatusCode::kInvalidArgument;
  }
}

bool IsRetryableHttpStatus(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::string StripQuotes(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

// Last-Modified header (RFC 1123) or ListObjects' ISO 8601; 0 if unreadable.
int64_t ParseS3Time(const std::string& text) {
  absl::Time t;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &error) ||
      absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", text, &t, &error)) {
    return absl::ToUnixMicros(t);
  }
  return 0;
}

// Reads exactly `length` bytes at `offset` into `buffer`.
Status ReadPart(int fd, int64_t offset, int64_t length, const std::string& path,
                std::string* buffer) {
  buffer->resize(static_cast<size_t>(length));
  int64_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd, buffer->data() + done, static_cast<size_t>(length - done),
                              static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, absl::StrCat("reading ", path));
    }
    if (n == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " shrank while it was being uploaded"));
    }
    done += n;
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<std::unique_ptr<S3Store>> S3Store::Open(const std::string& bucket,
                                                 const std::string& prefix,
                                                 const ObjectStoreOptions& options) {
  const std::string uri = absl::StrCat("s3://", bucket, prefix.empty() ? "" : "/", prefix);
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(uri, ": ", std::string(why)));
  };
  if (bucket.empty() || bucket.size() > 255 ||
      !std::all_of(bucket.begin(), bucket.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
               c == '_';
      })) {
    return invalid(absl::StrCat("invalid bucket name '", bucket,
                                "' (letters, digits, '.', '-' and '_' only)"));
  }
  if (!prefix.empty()) {
    Status valid = ValidateObjectKey(prefix);
    if (!valid.ok()) return invalid(absl::StrCat("bad key prefix: ", valid.message()));
  }
  if (options.access_key_id.empty() != options.secret_access_key.empty()) {
    return invalid(options.access_key_id.empty()
                       ? "a secret access key is set but no access key id (AWS_ACCESS_KEY_ID)"
                       : "an access key id is set but no secret access key "
                         "(AWS_SECRET_ACCESS_KEY)");
  }
  if (options.multipart_part_size_bytes < kMinPartBytes) {
    return invalid(absl::StrCat("multipart part size ", options.multipart_part_size_bytes,
                                " bytes is under S3's minimum of 5 MiB"));
  }
  if (options.list_page_size < 1 || options.list_page_size > 1000) {
    return invalid(absl::StrCat("list page size ", options.list_page_size, " is outside 1..1000"));
  }
  if (options.max_attempts < 1) return invalid("max_attempts must be at least 1");

  Endpoint endpoint;
  if (options.endpoint.empty()) {
    if (options.region.empty()) return invalid("no region and no endpoint");
    endpoint.scheme = "https";
    endpoint.host_port = absl::StrCat("s3.", options.region, ".amazonaws.com");
  } else {
    std::string_view text = options.endpoint;
    const size_t sep = text.find("://");
    if (sep == std::string_view::npos) {
      return invalid(absl::StrCat("endpoint '", options.endpoint,
                                  "' needs a scheme: http://host:port or https://host"));
    }
    endpoint.scheme = absl::AsciiStrToLower(std::string(text.substr(0, sep)));
    if (endpoint.scheme != "http" && endpoint.scheme != "https") {
      return invalid(
          absl::StrCat("endpoint '", options.endpoint, "': scheme must be http or https"));
    }
    text.remove_prefix(sep + 3);
    while (!text.empty() && text.back() == '/') text.remove_suffix(1);
    if (text.empty() || text.find('/') != std::string_view::npos) {
      return invalid(absl::StrCat("endpoint '", options.endpoint,
                                  "' must be scheme://host[:port] with no path"));
    }
    endpoint.host_port = std::string(text);
  }
  std::string host = endpoint.host_port;
  if (host.front() != '[') host = host.substr(0, host.rfind(':'));
  endpoint.path_style =
      options.path_style || IsIpLiteralOrLocalhost(host) || !IsDnsCompatibleBucket(bucket);
  return std::unique_ptr<S3Store>(new S3Store(bucket, prefix, std::move(endpoint), options));
}

S3Store::S3Store(std::string bucket, std::string prefix, Endpoint endpoint,
                 const ObjectStoreOptions& options)
    : ObjectStore(absl::StrCat("s3://", bucket, prefix.empty() ? "" : "/", prefix)),
      bucket_(std::move(bucket)),
      prefix_(std::move(prefix)),
      endpoint_(std::move(endpoint)),
      options_(options),
      credentials_{options.access_key_id, options.secret_access_key, options.session_token},
      http_(HttpTimeouts{options.connect_timeout_ms, options.idle_timeout_ms,
                         options.request_timeout_ms}) {}

S3Store::~S3Store() = default;

std::string S3Store::FullKey(const std::string& key) const {
  if (prefix_.empty()) return key;
  return absl::StrCat(prefix_, "/", key);
}

// ---- Signing, sending, retrying, errors. ----

HttpRequest S3Store::BuildRequest(const Call& call, const std::string& payload_sha256) const {
  SigV4Request sig;
  sig.method = call.method;
  std::string host = endpoint_.host_port;
  if (endpoint_.path_style) {
    sig.canonical_uri = absl::StrCat("/", bucket_);
    if (!call.key.empty()) absl::StrAppend(&sig.canonical_uri, "/", AwsUriEncode(call.key, false));
  } else {
    host = absl::StrCat(bucket_, ".", host);
    sig.canonical_uri = absl::StrCat("/", AwsUriEncode(call.key, false));
  }
  sig.query = call.query;
  sig.payload_sha256 = payload_sha256;
  sig.headers = {{"host", host},
                 {"x-amz-content-sha256", payload_sha256},
                 {"x-amz-date", AmzDate(absl::ToUnixSeconds(absl::Now()))}};
  if (!credentials_.session_token.empty()) {
    sig.headers.emplace_back("x-amz-security-token", credentials_.session_token);
  }
  for (const auto& header : call.headers) sig.headers.push_back(header);

  HttpRequest request;
  request.method = call.method;
  request.url = absl::StrCat(endpoint_.scheme, "://", host, sig.canonical_uri);
  const std::string query = CanonicalQueryString(call.query);
  if (!query.empty()) absl::StrAppend(&request.url, "?", query);
  request.headers = sig.headers;
  if (!credentials_.access_key_id.empty()) {
    request.headers.emplace_back(
        "Authorization", SigV4Authorization(sig, credentials_,
                                            options_.region.empty() ? "us-east-1" : options_.region,
                                            "s3", sig.headers[2].second));
  }
  request.body = call.body;
  request.sink = call.sink;
  return request;
}

Status S3Store::ErrorFromResponse(const HttpResponse& response) const {
  // Error bodies: <Error><Code>NoSuchKey</Code><Message>...</Message></Error>.
  // HEAD responses have none.
  std::string code = XmlText(response.body, "Code").value_or(response.Header("x-amz-error-code"));
  std::string message =
      XmlText(response.body, "Message").value_or(response.Header("x-amz-error-message"));
  if (code.empty()) {
    switch (response.status) {
      case 403:
        code = "Forbidden";
        break;
      case 404:
        code = "NotFound";
        break;
      default:
        code = "Error";
    }
  }
  std::string text = absl::StrCat(response.status, " ", code);
  if (!message.empty()) absl::StrAppend(&text, ": ", message);
  if (response.status == 403 && !credentials_.access_key_id.empty()) {
    absl::StrAppend(&text, " (check the secret access key of access key id '",
                    credentials_.access_key_id,
                    "': keel.yaml or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)");
  } else if (response.status == 403) {
    absl::StrAppend(&text,
                    " (no credentials were sent: set AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY, or the storage settings in keel.yaml)");
  }
  return Status(CodeForHttpStatus(response.status), text);
}

StatusOr<HttpResponse> S3Store::Execute(const Call& call) {
  const std::string payload_sha256 =
      call.body.empty() ? std::string(kSigV4EmptyPayloadSha256) : Sha256Hex(call.body);
  // Count what reached the caller's sink: a transfer that already delivered
  // bytes cannot be retried without delivering them twice.
  int64_t delivered = 0;
  Call counted = call;
  if (call.sink) {
    counted.sink = [&](std::string_view bytes) {
      delivered += static_cast<int64_t>(bytes.size());
      return call.sink(bytes);
    };
  }
  for (int attempt = 1;; ++attempt) {
    StatusOr<HttpResponse> response = http_.Send(BuildRequest(counted, payload_sha256));
    const bool may_retry = attempt < options_.max_attempts && delivered == 0;
    Status error;
    if (!response.ok()) {
      error = response.status();
      if (!absl::IsUnavailable(error) || !may_retry) return error;
    } else if (response->status >= 200 && response->status < 300) {
      return response;
    } else {
      error = ErrorFromResponse(*response);
      if (!IsRetryableHttpStatus(response->status) || !may_retry) return error;
    }
    const int64_t backoff_ms = std::min<int64_t>(100 << (attempt - 1), 2000);
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
  }
}

// ---- Objects. ----

Status S3Store::PutImpl(const std::string& key, std::string_view bytes) {
  Call call{.method = "PUT", .key = FullKey(key), .body = bytes};
  return Execute(call).status();
}

Status S3Store::PutFileImpl(const std::string& key, const std::string& local_path) {
  const int fd = ::open(local_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, local_path);
  struct stat st {};
  Status status;
  if (::fstat(fd, &st) != 0) {
    status = ErrnoToStatus(errno, local_path);
  } else if (!S_ISREG(st.st_mode)) {
    status = absl::InvalidArgumentError(absl::StrCat(local_path, " is not a regular file"));
  } else if (st.st_size > options_.multipart_threshold_bytes) {
    status = MultipartUpload(FullKey(key), fd, st.st_size, local_path);
  } else {
    std::string bytes;
    status = ReadPart(fd, 0, st.st_size, local_path, &bytes);
    if (status.ok()) status = PutImpl(key, bytes);
  }
  ::close(fd);
  return status;
}

Status S3Store::MultipartUpload(const std::string& full_key, int fd, int64_t size,
                                const std::string& local_path) {
  // Grow the part size when the file would need more than 10,000 parts.
  int64_t part_size = options_.multipart_part_size_bytes;
  if ((size + part_size - 1) / part_size > kMaxParts) {
    const int64_t mib = int64_t{1} << 20;
    part_size = ((size + kMaxParts - 1) / kMaxParts + mib - 1) / mib * mib;
  }
  const int64_t num_parts = (size + part_size - 1) / part_size;

  Call start{.method = "POST", .key = full_key, .query = {{"uploads", ""}}};
  KEEL_ASSIGN_OR_RETURN(HttpResponse started, Execute(start));
  const std::optional<std::string> upload_id = XmlText(started.body, "UploadId");
  if (!upload_id.has_value() || upload_id->empty()) {
    return absl::InternalError("CreateMultipartUpload answered without an UploadId");
  }
  auto abort_upload = [&](const Status& cause) {
    // Best effort: the object is untouched either way; an upload left behind
    // only holds storage until the bucket's lifecycle rules remove it.
    Call abort{.method = "DELETE", .key = full_key, .query = {{"uploadId", *upload_id}}};
    (void)Execute(abort);
    return cause;
  };

  std::string buffer;
  std::string manifest = "<CompleteMultipartUpload>";
  for (int64_t part = 1; part <= num_parts; ++part) {
    const int64_t offset = (part - 1) * part_size;
    const int64_t length = std::min(part_size, size - offset);
    Status read = ReadPart(fd, offset, length, local_path, &buffer);
    if (!read.ok()) return abort_upload(read);
    Call upload{.method = "PUT",
                .key = full_key,
                .query = {{"partNumber", absl::StrCat(part)}, {"uploadId", *upload_id}},
                .body = buffer};
    StatusOr<HttpResponse> uploaded = Execute(upload);
    if (!uploaded.ok()) {
      return abort_upload(
          Annotate(uploaded.status(), absl::StrCat("part ", part, " of ", num_parts)));
    }
    const std::string etag = uploaded->Header("etag");
    if (etag.empty()) {
      return abort_upload(absl::InternalError(
          absl::StrCat("part ", part, " of ", num_parts, ": the server sent no ETag")));
    }
    absl::StrAppend(&manifest, "<Part><PartNumber>", part, "</PartNumber><ETag>", XmlEscape(etag),
                    "</ETag></Part>");
  }
  manifest += "</CompleteMultipartUpload>";
  std::string().swap(buffer);

  Call complete{
      .method = "POST", .key = full_key, .query = {{"uploadId", *upload_id}}, .body = manifest};
  StatusOr<HttpResponse> completed = Execute(complete);
  if (!completed.ok()) return abort_upload(completed.status());
  // S3 may report a failed completion inside a 200 response.
  if (!XmlElements(completed->body, "Error").empty()) {
    HttpResponse failed = *completed;
    failed.status = 500;
    return abort_upload(ErrorFromResponse(failed));
  }
  return absl::OkStatus();
}

StatusOr<std::string> S3Store::GetImpl(const std::string& key) {
  Call call{.method = "GET", .key = FullKey(key)};
  KEEL_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
  return std::move(response.body);
}

StatusOr<std::string> S3Store::GetRangeImpl(const std::string& key, int64_t offset,
                                            int64_t length) {
  const int64_t last = length > std::numeric_limits<int64_t>::max() - offset
                           ? std::numeric_limits<int64_t>::max()
                           : offset + length - 1;
  Call call{.method = "GET",
            .key = FullKey(key),
            .headers = {{"range", absl::StrCat("bytes=", offset, "-", last)}}};
  KEEL_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
  if (response.status == 206) {
    // "bytes <first>-<last>/<size>": some servers send more than was asked.
    const std::string range = response.Header("content-range");
    int64_t first = -1;
    const size_t dash = range.find('-');
    if (!absl::StartsWith(range, "bytes ") || dash == std::string::npos ||
        !absl::SimpleAtoi(range.substr(6, dash - 6), &first) || first != offset) {
      return absl::InternalError(
          absl::StrCat("asked for bytes from ", offset, ", got Content-Range '", range, "'"));
    }
    if (static_cast<int64_t>(response.body.size()) > length) {
      response.body.resize(static_cast<size_t>(length));
    }
    return std::move(response.body);
  }
  // A server that ignores Range sends the whole object with 200.
  const auto size = static_cast<int64_t>(response.body.size());
  if (offset >= size) {
    return absl::OutOfRangeError(
        absl::StrCat("range starts at byte ", offset, " but the object has ", size, " bytes"));
  }
  return response.body.substr(static_cast<size_t>(offset),
                              static_cast<size_t>(std::min(length, size - offset)));
}

Status S3Store::GetToFileImpl(const std::string& key, const std::string& local_path) {
  KEEL_ASSIGN_OR_RETURN(AtomicFileWriter writer, AtomicFileWriter::Create(local_path));
  Call call{.method = "GET", .key = FullKey(key), .sink = [&](std::string_view bytes) {
              return writer.Append(bytes);
            }};
  KEEL_RETURN_IF_ERROR(Execute(call).status());
  return writer.Commit();
}

StatusOr<ObjectInfo> S3Store::StatImpl(const std::string& key) {
  Call call{.method = "HEAD", .key = FullKey(key)};
  KEEL_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
  ObjectInfo info;
  info.key = key;
  if (!absl::SimpleAtoi(response.Header("content-length"), &info.size_bytes)) {
    return absl::InternalError("HEAD answered without a Content-Length");
  }
  info.etag = StripQuotes(response.Header("etag"));
  info.mtime_us = ParseS3Time(response.Header("last-modified"));
  return info;
}

Status S3Store::DeleteImpl(const std::string& key) {
  Call call{.method = "DELETE", .key = FullKey(key)};
  Status status = Execute(call).status();
  if (absl::IsNotFound(status) && !absl::StrContains(status.message(), "NoSuchBucket")) {
    return absl::OkStatus();  // already gone
  }
  return status;
}

StatusOr<std::vector<ObjectInfo>> S3Store::ListImpl(const std::string& prefix) {
  const std::string root = prefix_.empty() ? "" : absl::StrCat(prefix_, "/");
  const std::string full_prefix = absl::StrCat(root, prefix);
  std::vector<ObjectInfo> out;
  std::string token;
  for (int page = 1;; ++page) {
    Call call{.method = "GET",
              .query = {{"list-type", "2"},
                        {"max-keys", absl::StrCat(options_.list_page_size)},
                        {"prefix", full_prefix}}};
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    StatusOr<HttpResponse> response = Execute(call);
    if (!response.ok()) return Annotate(response.status(), absl::StrCat("page ", page));
    for (const std::string_view entry : XmlElements(response->body, "Contents")) {
      ObjectInfo info;
      const std::string key = XmlText(entry, "Key").value_or("");
      if (!absl::StartsWith(key, root) || key.size() == root.size()) continue;
      info.key = key.substr(root.size());
      if (!absl::SimpleAtoi(XmlText(entry, "Size").value_or(""), &info.size_bytes)) {
        return absl::InternalError(absl::StrCat("listing page ", page, ": no Size for ", key));
      }
      info.etag = StripQuotes(XmlText(entry, "ETag").value_or(""));
      info.mtime_us = ParseS3Time(XmlText(entry, "LastModified").value_or(""));
      out.push_back(std::move(info));
    }
    if (XmlText(response->body, "IsTruncated").value_or("false") != "true") break;
    std::string next = XmlText(response->body, "NextContinuationToken").value_or("");
    if (next.empty() || next == token) {
      return absl::InternalError(absl::StrCat(
          "listing page ", page, " is truncated but has no new NextContinuationToken"));
    }
    token = std::move(next);
  }
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

}  // namespace keel
