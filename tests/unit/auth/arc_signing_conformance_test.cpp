// The ValiMail arc_test_suite signing cases (RFC 8617 §5.1) run against arc_seal: each case
// sealed with the scenario's key, t= and sig-headers, the AAR built by AR consolidation, and the
// AAR/AMS/AS compared as the suite's harness does (whitespace deleted, unordered sets of tags).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "arc_suite_reader.hpp"
#include "auth/arc_seal.hpp"
#include "auth/arc_verify.hpp"
#include "conformance_data.hpp"
#include "core/ascii.hpp"

namespace hikyaku::auth {
namespace {

const std::string kSuite = test::conformance_path("arc/upstream/tests/arc-draft-sign-tests.yml").string();

// Every case that does not produce the expected headers, with why. Never edit the suite instead.
const std::map<std::string, std::string> kKnownFailures = {
};

// testarc.py: delete every whitespace octet, split on ";", compare as a set.
std::set<std::string> tag_set(const std::string& value) {
  std::string s;
  for (char c : value) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') s.push_back(c);
  }
  std::set<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(';', pos);
    if (end == std::string::npos) end = s.size();
    out.insert(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// The value of header `name` in `fields` (the three produced fields), or "".
std::string value_of(const std::string& fields, const char* name) {
  const core::Message m(fields + "\r\n");
  const auto found = m.find(name);
  return found.empty() ? std::string() : std::string(m.field_value(*found.front()));
}

std::vector<std::string> split_colons(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(':', pos);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

TEST(ArcSigningConformance, ValiMailSigningSuite) {
  std::ifstream in(kSuite);
  if (!in) GTEST_SKIP() << test::conformance_absent(kSuite);
  const auto scenarios = suite::load_suite(in);
  int total = 0;
  int passed = 0;
  std::vector<std::string> unexpected_failures;
  std::vector<std::string> unexpected_passes;
  std::set<std::string> seen;  // every case id run, so a stale kKnownFailures entry is found
  for (const auto& s : scenarios) {
    if (s.tests.empty()) continue;
    const KeyLookup lookup = [&s](const std::string& name) -> std::optional<std::string> {
      const auto it = s.txt.find(name);
      if (it == s.txt.end()) return std::nullopt;
      return it->second;
    };
    for (const auto& [id, c] : s.tests) {
      ++total;
      const core::Message msg(c.message);
      const ArcResult chain = arc_verify(msg, lookup);
      ArcSealParams p;
      p.domain = s.domain;
      p.selector = s.sel;
      if (auto key = PrivateKey::from_pem(s.private_key)) p.key = *key;  // else: nothing sealed
      p.authserv_id = c.srv_id;
      p.auth_results = consolidate_auth_results(msg, c.srv_id);
      p.ams_headers = split_colons(c.sig_headers);
      p.timestamp = std::stoll(c.t);
      p.chain = &chain;
      const auto sealed = arc_seal(msg, p);
      const std::string out = sealed ? *sealed : std::string();  // an error prints nothing
      const std::string got_as = value_of(out, "ARC-Seal");
      const std::string got_ams = value_of(out, "ARC-Message-Signature");
      const std::string got_aar = value_of(out, "ARC-Authentication-Results");
      std::string why;
      if (tag_set(got_as) != tag_set(c.as)) why += " AS";
      if (tag_set(got_ams) != tag_set(c.ams)) why += " AMS";
      if (tag_set(got_aar) != tag_set(c.aar)) why += " AAR";
      const bool ok = why.empty();
      if (std::getenv("HIKYAKU_ARC_VERBOSE") != nullptr) {
        std::printf("%-24s %s%s (chain %s %s)%s\n%s\n", id.c_str(), ok ? "ok" : "differs:",
                    why.c_str(), to_string(chain.cv), chain.reason.c_str(),
                    sealed ? "" : (" error: " + sealed.error()).c_str(), out.c_str());
      }
      passed += ok ? 1 : 0;
      seen.insert(id);
      const bool known = kKnownFailures.count(id) != 0;
      if (!ok && !known) unexpected_failures.push_back(id + ":" + why + " differ");
      if (ok && known) unexpected_passes.push_back(id);
    }
  }
  std::printf("ARC signing: %d of %d passed\n", passed, total);
  EXPECT_EQ(total, 17);
  for (const auto& f : unexpected_failures) ADD_FAILURE() << "unexpected failure " << f;
  for (const auto& p : unexpected_passes) ADD_FAILURE() << "listed as known failure, passes: " << p;
  for (const auto& [id, why] : kKnownFailures) {
    if (seen.count(id) == 0) ADD_FAILURE() << "listed as known failure, not a case of the suite: " << id;
  }
  EXPECT_EQ(passed, total - static_cast<int>(kKnownFailures.size()));
}

}  // namespace
}  // namespace hikyaku::auth
