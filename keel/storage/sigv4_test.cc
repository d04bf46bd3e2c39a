#include "keel/storage/sigv4.h"

#include <string>

#include "gtest/gtest.h"
#include "keel/base/hash.h"

namespace keel {
namespace {

// The AWS SigV4 test suite's credentials and time.
const AwsCredentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       ""};
constexpr char kSuiteDate[] = "20150830T123600Z";
// The S3 documentation's worked examples ("Signature Calculations for the
// Authorization Header").
const AwsCredentials kS3DocCredentials{"AKIAIOSFODNN7EXAMPLE",
                                       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr char kS3DocDate[] = "20130524T000000Z";

SigV4Request SuiteRequest(std::string method) {
  SigV4Request request;
  request.method = std::move(method);
  request.canonical_uri = "/";
  request.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kSuiteDate}};
  return request;
}

SigV4Request S3DocRequest(std::string method, std::string uri) {
  SigV4Request request;
  request.method = std::move(method);
  request.canonical_uri = std::move(uri);
  request.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                     {"x-amz-content-sha256", kSigV4EmptyPayloadSha256},
                     {"x-amz-date", kS3DocDate}};
  return request;
}

std::string SignatureOf(const std::string& authorization) {
  const size_t at = authorization.find("Signature=");
  return at == std::string::npos ? "" : authorization.substr(at + 10);
}

TEST(SigV4Test, SuiteGetVanilla) {
  const SigV4Request request = SuiteRequest("GET");
  EXPECT_EQ(CanonicalRequest(request),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(SigV4Authorization(request, kSuiteCredentials, "us-east-1", "service", kSuiteDate),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, SuitePostVanilla) {
  EXPECT_EQ(SignatureOf(SigV4Authorization(SuiteRequest("POST"), kSuiteCredentials, "us-east-1",
                                           "service", kSuiteDate)),
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4Test, SuiteGetVanillaQueryOrderKeyCase) {
  SigV4Request request = SuiteRequest("GET");
  request.query = {{"Param2", "value2"}, {"Param1", "value1"}};
  EXPECT_EQ(SignatureOf(
                SigV4Authorization(request, kSuiteCredentials, "us-east-1", "service", kSuiteDate)),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4Test, S3DocGetObjectWithRange) {
  SigV4Request request = S3DocRequest("GET", "/test.txt");
  request.headers.emplace_back("Range", "bytes=0-9");
  const std::string canonical = CanonicalRequest(request);
  EXPECT_EQ(StringToSign(kS3DocDate, CredentialScope(kS3DocDate, "us-east-1", "s3"), canonical),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(SigV4Authorization(request, kS3DocCredentials, "us-east-1", "s3", kS3DocDate),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, S3DocPutObjectWithEncodedKey) {
  const std::string body = "Welcome to Amazon S3.";
  SigV4Request request =
      S3DocRequest("PUT", "/" + AwsUriEncode("test$file.text", /*encode_slash=*/false));
  EXPECT_EQ(request.canonical_uri, "/test%24file.text");
  request.payload_sha256 = Sha256Hex(body);
  request.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                     {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                     {"x-amz-content-sha256", request.payload_sha256},
                     {"x-amz-date", kS3DocDate},
                     {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  EXPECT_EQ(StringToSign(kS3DocDate, CredentialScope(kS3DocDate, "us-east-1", "s3"),
                         CanonicalRequest(request)),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(
      SignatureOf(SigV4Authorization(request, kS3DocCredentials, "us-east-1", "s3", kS3DocDate)),
      "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4Test, S3DocGetBucketLifecycleWithValuelessParameter) {
  SigV4Request request = S3DocRequest("GET", "/");
  request.query = {{"lifecycle", ""}};
  EXPECT_EQ(
      SignatureOf(SigV4Authorization(request, kS3DocCredentials, "us-east-1", "s3", kS3DocDate)),
      "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4Test, S3DocListObjects) {
  SigV4Request request = S3DocRequest("GET", "/");
  request.query = {{"prefix", "J"}, {"max-keys", "2"}};
  EXPECT_EQ(
      SignatureOf(SigV4Authorization(request, kS3DocCredentials, "us-east-1", "s3", kS3DocDate)),
      "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4Test, WrongSecretGivesAnotherSignature) {
  const AwsCredentials wrong{"AKIDEXAMPLE", "not-the-secret", ""};
  EXPECT_NE(SigV4Authorization(SuiteRequest("GET"), wrong, "us-east-1", "service", kSuiteDate),
            SigV4Authorization(SuiteRequest("GET"), kSuiteCredentials, "us-east-1", "service",
                               kSuiteDate));
}

TEST(SigV4Test, UriEncodingKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(AwsUriEncode("A-z_0.9~", true), "A-z_0.9~");
  EXPECT_EQ(AwsUriEncode("a b+c=d&e", true), "a%20b%2Bc%3Dd%26e");
  EXPECT_EQ(AwsUriEncode("dir/file name", false), "dir/file%20name");
  EXPECT_EQ(AwsUriEncode("dir/file", true), "dir%2Ffile");
  EXPECT_EQ(AwsUriEncode("été", true), "%C3%A9t%C3%A9");
  EXPECT_EQ(AwsUriEncode("100%", true), "100%25");
}

TEST(SigV4Test, CanonicalQuerySortsByEncodedNameThenValue) {
  EXPECT_EQ(CanonicalQueryString({{"b", "2"}, {"a", "x y"}, {"a", "+"}, {"c", ""}}),
            "a=%2B&a=x%20y&b=2&c=");
  EXPECT_EQ(CanonicalQueryString({}), "");
}

TEST(SigV4Test, CanonicalHeadersTrimLowercaseAndJoinRepeats) {
  SigV4Request request;
  request.method = "GET";
  request.headers = {
      {"Host", "h"}, {"X-Amz-Date", kSuiteDate}, {"My-Header", "  a   b  "}, {"my-header", "c"}};
  EXPECT_EQ(CanonicalRequest(request),
            "GET\n/\n\nhost:h\nmy-header:a b,c\nx-amz-date:20150830T123600Z\n\n"
            "host;my-header;x-amz-date\n" +
                std::string(kSigV4EmptyPayloadSha256));
}

TEST(SigV4Test, AmzDateFormatsUtc) {
  EXPECT_EQ(AmzDate(1440938160), "20150830T123600Z");
  EXPECT_EQ(AmzDate(0), "19700101T000000Z");
}

}  // namespace
}  // namespace keel
