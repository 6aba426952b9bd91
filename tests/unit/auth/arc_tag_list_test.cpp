// RFC 6376 §3.2 tag=value lists as ARC-Seal, ARC-Message-Signature and key records use them:
// FWS around names, "=" and values, trailing ";", duplicates, unknown tags, bad octets.
#include <gtest/gtest.h>

#include "auth/tag_list.hpp"

namespace hikyaku::auth {
namespace {

TEST(ArcTagList, SimpleList) {
  auto t = parse_tag_list("a=rsa-sha256; d=example.org; s=sel");
  ASSERT_TRUE(t);
  ASSERT_EQ(t->tags.size(), 3u);
  EXPECT_EQ(t->tags[0].name, "a");
  EXPECT_EQ(*t->find("d"), "example.org");
  EXPECT_EQ(*t->find("s"), "sel");
  EXPECT_EQ(t->find("x"), nullptr);
}

TEST(ArcTagList, FoldingWhitespaceAroundNamesAndValues) {
  auto t = parse_tag_list(" a = rsa-sha256 ;\r\n\tb=abc\r\n def ; t =\t12345\r\n ");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t->find("a"), "rsa-sha256");
  EXPECT_EQ(*t->find("b"), "abc\r\n def");  // inner FWS kept; strip_fws removes it
  EXPECT_EQ(strip_fws(*t->find("b")), "abcdef");
  EXPECT_EQ(*t->find("t"), "12345");
}

TEST(ArcTagList, TrailingSemicolonAndEmptyValues) {
  auto t = parse_tag_list("v=DKIM1; p=;");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t->find("p"), "");
  auto empty = parse_tag_list("  \r\n ");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->tags.empty());
}

TEST(ArcTagList, DuplicateTagIsAnError) {
  auto t = parse_tag_list("i=1; a=rsa-sha256; i=2");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error(), TagListError::duplicate_tag);
}

TEST(ArcTagList, NamesAreCaseSensitiveAndUnknownTagsKept) {
  auto t = parse_tag_list("A=1; a=2; x_y9=z");
  ASSERT_TRUE(t);  // "A" and "a" are different tags
  EXPECT_EQ(*t->find("A"), "1");
  EXPECT_EQ(*t->find("a"), "2");
  EXPECT_EQ(*t->find("x_y9"), "z");
}

TEST(ArcTagList, SyntaxErrors) {
  for (const char* bad : {"a", "=1", "a=1;;b=2", ";", "1a=2", "a b=1", "a=1 ; b", "a=\x80",
                          "a=1\nb=2", "a=1\r\nb=2", "a=x;y", "-a=1", "a=1\r\n"}) {
    auto t = parse_tag_list(bad);
    EXPECT_FALSE(t) << bad;
    if (!t) {
      EXPECT_EQ(t.error(), TagListError::syntax) << bad;
    }
  }
}

TEST(ArcTagList, ValuesMayContainEqualsAndColons) {
  auto t = parse_tag_list("b=abc==; h=from : to:subject");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t->find("b"), "abc==");
  EXPECT_EQ(*t->find("h"), "from : to:subject");
}

}  // namespace
}  // namespace hikyaku::auth
