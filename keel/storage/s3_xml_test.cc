#include "keel/storage/s3_xml.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

using ::testing::ElementsAre;

TEST(S3XmlTest, ElementsByTagDoNotMatchLongerNames) {
  const std::string xml =
      "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3\"><KeyCount>2</KeyCount>"
      "<Contents><Key>a</Key><Size>1</Size></Contents>"
      "<Contents>\n<Key>b&amp;c</Key><Size>22</Size></Contents></ListBucketResult>";
  EXPECT_THAT(XmlElements(xml, "Key"), ElementsAre("a", "b&amp;c"));
  EXPECT_EQ(XmlElements(xml, "Contents").size(), 2u);
  EXPECT_EQ(XmlText(xml, "KeyCount"), "2");
  EXPECT_EQ(XmlText(XmlElements(xml, "Contents")[1], "Key"), "b&c");
  EXPECT_EQ(XmlText(xml, "NextContinuationToken"), std::nullopt);
  EXPECT_EQ(XmlText(xml, "ListBucketResult").has_value(), true);  // tag with attributes
}

TEST(S3XmlTest, SelfClosingElementIsEmpty) {
  EXPECT_THAT(XmlElements("<a><Prefix/><Prefix >x</Prefix></a>", "Prefix"), ElementsAre("", "x"));
}

TEST(S3XmlTest, UnescapesNamedNumericAndCdata) {
  EXPECT_EQ(XmlUnescape("&lt;a&gt; &amp; &quot;q&quot; &apos;s&apos;"), "<a> & \"q\" 's'");
  EXPECT_EQ(XmlUnescape("&#38;&#x26;&#233;&#x1F600;"), "&&\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(XmlUnescape("&bogus; & &#xZZ;"), "&bogus; & &#xZZ;");
  EXPECT_EQ(XmlUnescape("a<![CDATA[<b>&amp;]]>c"), "a<b>&amp;c");
}

TEST(S3XmlTest, EscapeRoundTrips) {
  const std::string text = "\"etag\" <&> 'x'";
  EXPECT_EQ(XmlEscape(text), "&quot;etag&quot; &lt;&amp;&gt; &apos;x&apos;");
  EXPECT_EQ(XmlUnescape(XmlEscape(text)), text);
}

TEST(S3XmlTest, ErrorDocument) {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
      "<Message>The specified key does not exist.</Message><Key>a/b</Key></Error>";
  EXPECT_EQ(XmlText(xml, "Code"), "NoSuchKey");
  EXPECT_EQ(XmlText(xml, "Message"), "The specified key does not exist.");
}

}  // namespace
}  // namespace keel
