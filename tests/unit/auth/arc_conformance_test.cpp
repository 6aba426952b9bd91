// The ValiMail arc_test_suite validation cases (RFC 8617 §5.2) run against arc_verify: the
// suite's YAML read by a small reader for its regular shape (documents, tests, literal blocks,
// txt-records), TXT records served from a table, expected cv compared case-insensitively.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "auth/arc_verify.hpp"
#include "core/ascii.hpp"

namespace hikyaku::auth {
namespace {

const char* kSuite = HIKYAKU_SOURCE_DIR
    "/../shared/conformance/arc/upstream/tests/arc-draft-validation-tests.yml";

struct Case {
  std::string message;  // CRLF line ends
  std::string cv;       // lower-cased; empty counts as "fail" (see the suite README)
};

struct Scenario {
  std::map<std::string, Case> tests;  // a repeated test id replaces the earlier one, as in YAML
  std::map<std::string, std::string> txt;
};

size_t indent_of(const std::string& l) {
  size_t i = 0;
  while (i < l.size() && l[i] == ' ') ++i;
  return i;
}
bool blank(const std::string& l) { return indent_of(l) == l.size(); }
std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}
std::string lower(std::string s) {
  for (char& c : s) c = core::ascii_lower(c);
  return s;
}

// A "|" block after line `i` (clip chomping): lines indented deeper than `parent`.
std::string read_block(const std::vector<std::string>& lines, size_t& i, size_t parent) {
  std::vector<std::string> body;
  size_t ind = std::string::npos;
  while (i + 1 < lines.size()) {
    const std::string& l = lines[i + 1];
    if (!blank(l) && indent_of(l) <= parent) break;
    if (!blank(l) && ind == std::string::npos) ind = indent_of(l);
    body.push_back(l);
    ++i;
  }
  while (!body.empty() && blank(body.back())) body.pop_back();
  std::string out;
  for (const auto& l : body) {
    out.append(l.size() > ind ? l.substr(ind) : std::string()).append("\r\n");
  }
  return out;
}

std::vector<Scenario> load_suite(std::ifstream& in) {
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::vector<Scenario> out(1);
  enum { other, tests, txt } section = other;
  std::string test_id;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.rfind("---", 0) == 0) {
      out.emplace_back();
      section = other;
      continue;
    }
    if (blank(l)) continue;
    const size_t ind = indent_of(l);
    const size_t colon = l.find(':');
    if (ind == 0) {
      section = l.rfind("tests:", 0) == 0 ? tests : l.rfind("txt-records:", 0) == 0 ? txt : other;
      continue;
    }
    if (colon == std::string::npos) continue;
    const std::string key = l.substr(ind, colon - ind);
    const std::string value = trim(l.substr(colon + 1));
    if (section == tests && ind == 2) {
      test_id = key;
      out.back().tests[test_id] = Case{};
    } else if (section == tests && ind == 4) {
      if (value == "|" || value == ">-") {
        const std::string block = read_block(lines, i, ind);
        if (key == "message") out.back().tests[test_id].message = block;
      } else if (key == "cv") {
        out.back().tests[test_id].cv = lower(value);
      }
    } else if (section == txt && ind == 2) {
      std::string record = (value == "|" || value == ">-") ? std::string() : value;
      while (i + 1 < lines.size() && !blank(lines[i + 1]) && indent_of(lines[i + 1]) > 2) {
        record += trim(lines[++i]);  // the suite README: drop the line breaks inside base64
      }
      out.back().txt[lower(key)] = record;
    }
  }
  return out;
}

// Every case that does not give the expected cv, with why. Never edit the suite instead.
const std::map<std::string, std::string> kKnownFailures = {
};

TEST(ArcConformance, ValiMailValidationSuite) {
  std::ifstream in(kSuite);
  if (!in) GTEST_SKIP() << "../shared/conformance absent";
  const auto scenarios = load_suite(in);
  int total = 0;
  int passed = 0;
  std::vector<std::string> unexpected_failures;
  std::vector<std::string> unexpected_passes;
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
  EXPECT_EQ(passed, total - static_cast<int>(kKnownFailures.size()));
}

}  // namespace
}  // namespace hikyaku::auth
