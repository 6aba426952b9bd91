// Tests for app/report_https's URI reading: the https: rua of a TLS-RPT record (RFC 8460 §3)
// names a host, an optional port and a path; anything else is refused before any connection.
#include <gtest/gtest.h>

#include "app/report_https.hpp"

namespace hikyaku::app {
namespace {

TEST(HttpsUri, HostPortAndTarget) {
  auto u = parse_https_uri("https://Reports.Example.net/v1/tlsrpt?x=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "reports.example.net");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/v1/tlsrpt?x=1");
  u = parse_https_uri("HTTPS://r.example:8443");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/");
  u = parse_https_uri("https://[::1]:65535/p");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 65535);
  u = parse_https_uri("https://r.example:1?q");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 1);
  EXPECT_EQ(u->target, "/?q");
}

TEST(HttpsUri, RefusedForms) {
  for (const char* bad : {"", "http://r.example/", "https://", "https:///path", "https://user@r.example/",
                          "https://r.example:0/", "https://r.example:65536/", "https://r.example:/",
                          "https://r.example:44a/", "https://[::1/", "https://[::1]x/", "https://r_x.example/",
                          "https://r.example/a b", "https://r.example/a\r\nHost: evil", "mailto:a@b.example"}) {
    EXPECT_FALSE(parse_https_uri(bad)) << bad;
  }
}

}  // namespace
}  // namespace hikyaku::app
