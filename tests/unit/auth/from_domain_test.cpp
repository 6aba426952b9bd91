// The RFC5322.From domain for DMARC: RFC 5322 §3.4 address lists (display names, quoted
// strings, comments, folding, groups, obsolete routes), RFC 7489 §6.6.1 error cases.
#include <gtest/gtest.h>

#include "auth/from_domain.hpp"

namespace hikyaku::auth {
namespace {

struct Good {
  const char* value;
  const char* domain;
};

TEST(FromDomain, MailboxForms) {
  const Good cases[] = {
      {"joe@Example.COM", "example.com"},
      {" Joe Johnson <joe@joe.com>", "joe.com"},
      {"\"Johnson, Joe <joe@evil.com>\" <joe@joe.com>", "joe.com"},
      {"\"Joe \\\"J\\\" Johnson\" <joe@joe.com>", "joe.com"},
      {"(Joe Johnson) joe@joe.com", "joe.com"},
      {"joe@joe.com (comment (nested) \\) here)", "joe.com"},
      {"Joe\r\n Johnson\r\n\t<joe@\r\n joe.com>", "joe.com"},
      {"John Q. Public <jqp@example.org>", "example.org"},       // obs-phrase
      {"<@relay.example,@other.example:joe@joe.com>", "joe.com"},  // obs-route
      {"joe . smith @ example . net", "example.net"},             // obs CFWS around dots
      {"\"odd local\"@example.net", "example.net"},
      {"Authors: joe@joe.com;", "joe.com"},                        // group with one member
      {"Authors: , joe@joe.com, ;", "joe.com"},
      {", joe@joe.com ,", "joe.com"},                             // obs-mbox-list
      {"joe@xn--bcher-kva.example", "xn--bcher-kva.example"},     // A-labels as is
      {"joe@b\xc3\xbc" "cher.example", "xn--bcher-kva.example"},  // RFC 6532 U-label
      {"=?utf-8?q?J=C3=B6?= <joe@joe.com>", "joe.com"},
  };
  for (const auto& c : cases) {
    const auto d = from_domain_of_value(c.value);
    ASSERT_TRUE(d.has_value()) << c.value << ": " << describe(d.error());
    EXPECT_EQ(*d, c.domain) << c.value;
  }
}

struct Bad {
  const char* value;
  FromDomainError error;
};

TEST(FromDomain, ErrorValues) {
  const Bad cases[] = {
      {"", FromDomainError::no_mailbox},
      {"  (just a comment) ", FromDomainError::no_mailbox},
      {"undisclosed-recipients:;", FromDomainError::no_mailbox},
      {"a@example.com, b@example.org", FromDomainError::several_mailboxes},
      {"Bad User <spoof@example.org>,Test User <test@example.com>", FromDomainError::several_mailboxes},
      {"G: a@example.com, b@example.com;", FromDomainError::several_mailboxes},
      {"\"Test User\"", FromDomainError::no_domain},
      {"joe", FromDomainError::no_domain},
      {"<joe>", FromDomainError::no_domain},
      {"<>", FromDomainError::no_domain},
      {"Test User", FromDomainError::syntax},
      {"joe@", FromDomainError::syntax},
      {"joe@example.com.", FromDomainError::syntax},
      {"<joe@example.com", FromDomainError::syntax},
      {"\"unterminated <joe@example.com>", FromDomainError::syntax},
      {"(unterminated joe@example.com", FromDomainError::syntax},
      {"joe@example.com\r\nBcc: x@y.z", FromDomainError::syntax},  // CRLF not followed by WSP
      {"joe@example.com\n evil", FromDomainError::syntax},         // bare LF
      {"Mail From:<joe@joe.com>", FromDomainError::syntax},
      {"<<<><joe@joe.com>>>", FromDomainError::syntax},
      {"joe@[192.0.2.1]", FromDomainError::bad_domain},
      {"joe@exa!mple.com", FromDomainError::bad_domain},
      {"joe@-example.com", FromDomainError::bad_domain},
      {"G: a@example.com;, b@example.org", FromDomainError::several_mailboxes},
  };
  for (const auto& c : cases) {
    const auto d = from_domain_of_value(c.value);
    ASSERT_FALSE(d.has_value()) << c.value << " gave " << *d;
    EXPECT_EQ(d.error(), c.error) << c.value << ": " << describe(d.error());
  }
}

TEST(FromDomain, FieldCountInAMessage) {
  const core::Message none("Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(from_domain(none).error(), FromDomainError::no_from_field);
  const core::Message two("From: a@example.com\r\nfrom: a@example.com\r\n\r\nbody\r\n");
  EXPECT_EQ(from_domain(two).error(), FromDomainError::several_from_fields);
  const core::Message one("Subject: x\r\nFROM: Alice\r\n <alice@Example.ORG>\r\n\r\nbody\r\n");
  ASSERT_TRUE(from_domain(one).has_value());
  EXPECT_EQ(*from_domain(one), "example.org");
}

TEST(FromDomain, DescribeIsDistinct) {
  EXPECT_STREQ(describe(FromDomainError::no_from_field), "no From field");
  EXPECT_STRNE(describe(FromDomainError::syntax), describe(FromDomainError::no_domain));
}

}  // namespace
}  // namespace hikyaku::auth
