// Runs every vector of shared/conformance/srs/postsrsd-vectors.yml (values from PostSRSd's own
// test suite) through srs::forward / srs::reverse. The YAML is small and regular, so it is read
// by hand here; rows that only apply to PostSRSd's socketmap/database features are counted apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "core/ascii.hpp"
#include "srs/hash.hpp"
#include "srs/srs.hpp"

namespace hikyaku::srs {
namespace {

constexpr const char* kVectors = HIKYAKU_SOURCE_DIR "/../shared/conformance/srs/postsrsd-vectors.yml";

// The double-quoted strings of a line, with \" and \\ unescaped.
std::vector<std::string> quoted_strings(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while ((i = line.find('"', i)) != std::string::npos) {
    std::string s;
    ++i;
    while (i < line.size() && line[i] != '"') {
      if (line[i] == '\\' && i + 1 < line.size()) ++i;
      s += line[i++];
    }
    ++i;
    out.push_back(s);
  }
  return out;
}

// The quoted value after `key: "` on a line, or "" when absent.
std::string field(const std::string& line, const std::string& key) {
  const size_t k = line.find(key + ": \"");
  if (k == std::string::npos) return {};
  return quoted_strings(line.substr(k + key.size() + 2)).front();
}

// Like PostSRSd, reverse ignores the domain after the last '@'; no RFC 5321 parsing of the
// input, so over-long local parts still reach srs::reverse.
core::Address split_address(const std::string& s) {
  core::Address a;
  const size_t at = s.rfind('@');
  a.local = s.substr(0, at);
  if (at != std::string::npos) a.domain = core::ascii_lower(s.substr(at + 1));
  return a;
}

// Local part exact, domain case-insensitive (our addresses carry lowercase A-labels).
bool same_address(const std::string& got, const std::string& want) {
  const size_t g = got.rfind('@');
  const size_t w = want.rfind('@');
  return g != std::string::npos && w != std::string::npos && got.substr(0, g) == want.substr(0, w) &&
         core::ascii_iequals(got.substr(g), want.substr(w));
}

struct Tally {
  int total = 0, passed = 0, divergent = 0, not_applicable = 0;
  std::vector<std::string> failures;
  void check(bool ok, const std::string& what) {
    ++total;
    if (ok) {
      ++passed;
    } else {
      failures.push_back(what);
    }
  }
};

class PostsrsdVectors : public ::testing::Test {
 protected:
  SrsKeys keys{{"tops3cr3t"}};
  std::chrono::sys_days today{std::chrono::days{1577836860 / 86400}};
  std::string domain = "example.com";

  // "OK x" / "NOTFOUND ..." / "PERM ..." from a forward request.
  bool forward_as_socketmap(const std::string& sender, const std::string& reply) {
    const auto parsed = core::parse_mailbox(sender, true);
    if (!parsed) return reply.rfind("NOTFOUND", 0) == 0 || reply.rfind("PERM", 0) == 0;
    const auto r = forward(*parsed, keys, domain, today);
    if (reply.rfind("OK ", 0) == 0) return r && same_address(r->str(), reply.substr(3));
    if (reply == "NOTFOUND Need not rewrite local domain.") return r && r->str() == parsed->str();
    return !r;
  }
  bool reverse_as_socketmap(const std::string& address, const std::string& reply) {
    const auto r = reverse(split_address(address), keys, today);
    if (reply.rfind("OK ", 0) == 0) return r && same_address(r->str(), reply.substr(3));
    return !r;
  }
};

TEST_F(PostsrsdVectors, AllApplicableVectorsPass) {
  std::ifstream in(kVectors);
  if (!in) GTEST_SKIP() << "../shared/conformance absent";
  Tally t;
  std::string section, sub, line, milter_from;
  std::vector<std::string> pending;  // multi-line items (socketmap_long request, milter)
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] != ' ') {
      section = line.substr(0, line.find(':'));
      continue;
    }
    if (line.rfind("  forward:", 0) == 0 || line.rfind("  reverse:", 0) == 0) {
      sub = line.substr(2, 7);
      continue;
    }
    if (section == "library" && line.find("- {") != std::string::npos) {
      const bool want_error = line.find("expect_error:") != std::string::npos;
      const std::string expect = field(line, "expect");
      if (sub == "forward") {
        const std::string sender = field(line, "sender");
        const auto parsed = core::parse_mailbox(sender, true);
        const auto r = parsed ? forward(*parsed, keys, domain, today)
                              : core::Expected<core::Address, SrsError>(
                                    core::unexpected(SrsError::bad_syntax));
        t.check(want_error ? !r : (r && r->str() == expect), "library forward " + sender);
      } else {
        const std::string address = field(line, "address");
        const auto r = reverse(split_address(address), keys, today);
        t.check(want_error ? !r : (r && r->str() == expect), "library reverse " + address);
      }
    } else if (section == "socketmap_stateless" && line.rfind("  - [", 0) == 0) {
      const auto q = quoted_strings(line);
      ASSERT_GE(q.size(), 2u) << line;
      const std::string& req = q[0];
      const std::string& reply = q[1];
      if (reply == "PERM Invalid map." || reply == "PERM No database for alias.") {
        ++t.not_applicable;  // PostSRSd socketmap framing / database alias mode
      } else if (req.rfind("forward ", 0) == 0) {
        std::string arg = req.substr(8);
        if (arg == "\"\"") arg.clear();
        t.check(forward_as_socketmap(arg, reply), "socketmap " + req);
      } else if (req.rfind("reverse ", 0) == 0) {
        t.check(reverse_as_socketmap(req.substr(8), reply), "socketmap " + req);
      } else {
        t.check(false, "unknown socketmap row " + req);
      }
    } else if (section == "socketmap_long" && line.find("request:") != std::string::npos) {
      pending = {line};
    } else if (section == "socketmap_long" && line.find("expect:") != std::string::npos) {
      const std::string& req = pending.at(0);
      const std::string reply = quoted_strings(line).at(0);
      const std::string a_count = "domain_label_a_count: ";
      if (req.find("verb: forward") != std::string::npos) {
        const size_t k = req.find(a_count) + a_count.size();
        const int n = std::stoi(req.substr(k));
        const std::string host = std::string(static_cast<size_t>(n), 'a') + field(req, "domain_suffix");
        const std::string sender = field(req, "local") + "@" + host;
        if (reply.rfind("OK SRS0=", 0) == 0) {
          // PostSRSd accepts a 503-octet label; RFC 1035 labels stop at 63, so core::Address
          // cannot hold this sender. The hash itself must still be PostSRSd's.
          const std::string hash = reply.substr(8, 4);
          EXPECT_TRUE(detail::hash_matches(hash, detail::make_hash("tops3cr3t", {"2W", host, "test"})));
          EXPECT_FALSE(core::parse_mailbox(sender, true).has_value());
          ++t.divergent;
        } else {
          t.check(forward_as_socketmap(sender, reply), "long forward " + std::to_string(n));
        }
      } else {
        // srs: "SRS0=iCvJ=2W=<'a'*478 + '.net'>=test@example.com"
        const std::string srs = field(req, "srs");
        const size_t star = srs.find("'a'*");
        const int n = std::stoi(srs.substr(star + 4));
        const std::string host = std::string(static_cast<size_t>(n), 'a') + ".net";
        const std::string address = srs.substr(0, srs.find('<')) + host + srs.substr(srs.find('>') + 1);
        const std::string hash = address.substr(5, 4);
        EXPECT_TRUE(detail::hash_matches(hash, detail::make_hash("tops3cr3t", {"2W", host, "test"})));
        // The hash verifies, but user@<478-octet label> is not an RFC 5321 address: refused.
        const auto r = reverse(split_address(address), keys, today);
        EXPECT_FALSE(r.has_value());
        if (!r) {
          EXPECT_NE(r.error(), SrsError::bad_hash);
        }
        ++t.divergent;
      }
    } else if (section == "milter" && line.find("mail_from:") != std::string::npos) {
      pending = {line};
    } else if (section == "milter" && line.find("expect_new_from:") != std::string::npos) {
      pending.push_back(field(line, "expect_new_from"));
    } else if (section == "milter" && line.find("expect_new_rcpts:") != std::string::npos) {
      const std::string from = field(pending.at(0), "mail_from");
      const std::string rcpt = quoted_strings(pending.at(0).substr(pending.at(0).find("rcpt_to"))).at(0);
      const std::vector<std::string> q = {pending.at(1), quoted_strings(line).at(0)};
      const auto parsed = core::parse_mailbox(from, true);
      const auto f = parsed ? forward(*parsed, keys, domain, today)
                            : core::Expected<core::Address, SrsError>(core::unexpected(SrsError::bad_syntax));
      const auto r = reverse(split_address(rcpt), keys, today);
      t.check(f && f->str() == q.at(0) && r && r->str() == q.at(1), "milter " + from);
    }
  }
  for (const auto& f : t.failures) ADD_FAILURE() << "vector failed: " << f;
  const int rows = t.total + t.divergent + t.not_applicable;
  std::printf("postsrsd vectors: %d of %d applicable passed; %d diverge by RFC 5321 policy (hash "
              "verified); %d PostSRSd-only not applicable; %d rows in all\n",
              t.passed, t.total, t.divergent, t.not_applicable, rows);
  EXPECT_EQ(t.passed, t.total);
  EXPECT_EQ(rows, 35);  // 5 library + 26 socketmap + 3 long + 1 milter
}

}  // namespace
}  // namespace hikyaku::srs
