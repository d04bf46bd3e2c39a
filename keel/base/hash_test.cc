#include "keel/base/hash.h"

#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"

namespace keel {
namespace {

// Reference digests from FIPS 180-2 / `sha256sum`.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, StreamingEqualsOneShot) {
  std::string data(100000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 + 7);
  Sha256 hasher;
  for (size_t i = 0; i < data.size(); i += 977) hasher.Update(std::string_view(data).substr(i, 977));
  EXPECT_EQ(HexEncode(hasher.Finish()), Sha256Hex(data));
}

TEST(Sha256Test, FileDigestMatchesBytes) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/f.bin";
  std::ofstream(path, std::ios::binary) << "abc";
  auto digest = Sha256HexOfFile(path);
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(*digest, Sha256Hex("abc"));
  EXPECT_EQ(ShortVersion(*digest), "ba7816bf8f01");
}

TEST(Sha256Test, MissingFileIsNotFoundWithPath) {
  auto digest = Sha256HexOfFile("/nonexistent/keel/x");
  EXPECT_EQ(digest.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(digest.status().message().find("/nonexistent/keel/x"), std::string::npos);
}

// RFC 4231 test cases 1, 2, 3 and 6 (a key longer than the block size).
TEST(HmacSha256Test, Rfc4231Vectors) {
  EXPECT_EQ(HexEncode(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HexEncode(HmacSha256(std::string(20, '\xaa'), std::string(50, '\xdd'))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  EXPECT_EQ(HexEncode(HmacSha256(std::string(131, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HexTest, Encodes) { EXPECT_EQ(HexEncode(std::string("\x00\xff\x10", 3)), "00ff10"); }

}  // namespace
}  // namespace keel
