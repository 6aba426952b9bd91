// The ValiMail arc_test_suite validation cases (RFC 8617 §5.2) run against arc_verify: the
// suite's YAML read by a small reader for its regular shape (documents, tests, literal blocks,
// txt-records), TXT records served from a table, expected cv compared case-insensitively.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "arc_suite_reader.hpp"
#include "conformance_data.hpp"
#include "auth/arc_verify.hpp"

namespace hikyaku::auth {
namespace {

const std::string kSuite =
    test::conformance_path("arc/upstream/tests/arc-draft-validation-tests.yml").string();

using suite::load_suite;

// Every case that does not give the expected cv, with why. Never edit the suite instead.
const std::map<std::string, std::string> kKnownFailures = {
};

TEST(ArcConformance, ValiMailValidationSuite) {
  std::ifstream in(kSuite);
  if (!in) GTEST_SKIP() << test::conformance_absent(kSuite);
  const auto scenarios = load_suite(in);
  int total = 0;
  int passed = 0;
  std::vector<std::string> unexpected_failures;
  std::vector<std::string> unexpected_passes;
  std::set<std::string> seen;  // every case id run, so a stale kKnownFailures entry is found
  for (const auto& s : scenarios) {
    const KeyLookup lookup = [&s](const std::string& name) -> std::optional<std::string> {
      const auto it = s.txt.find(name);
      if (it == s.txt.end()) return std::nullopt;
      return it->second;
    };
    for (const auto& [id, c] : s.tests) {
      ++total;
      const std::string want = c.cv.empty() ? "fail" : c.cv;
      const ArcResult r = arc_verify(core::Message(c.message), lookup);
      const bool ok = want == to_string(r.cv);
      if (std::getenv("HIKYAKU_ARC_VERBOSE") != nullptr) {  // one line a case, for debugging
        std::printf("%-32s want %-4s got %-4s %s\n", id.c_str(), want.c_str(), to_string(r.cv),
                    r.reason.c_str());
      }
      passed += ok ? 1 : 0;
      seen.insert(id);
      const bool known = kKnownFailures.count(id) != 0;
      if (!ok && !known) {
        unexpected_failures.push_back(id + ": want " + want + ", got " + to_string(r.cv) + " (" +
                                      r.reason + ")");
      }
      if (ok && known) unexpected_passes.push_back(id);
    }
  }
  std::printf("ARC validation: %d of %d passed\n", passed, total);
  EXPECT_EQ(total, 171);
  for (const auto& f : unexpected_failures) ADD_FAILURE() << "unexpected failure " << f;
  for (const auto& p : unexpected_passes) ADD_FAILURE() << "listed as known failure, passes: " << p;
  for (const auto& [id, why] : kKnownFailures) {
    if (seen.count(id) == 0) ADD_FAILURE() << "listed as known failure, not a case of the suite: " << id;
  }
  EXPECT_EQ(passed, total - static_cast<int>(kKnownFailures.size()));
}

}  // namespace
}  // namespace hikyaku::auth
