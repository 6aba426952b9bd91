// The guard in front of toml++ 3.3.0 (config/toml_guard.hpp): code points its whitespace test
// cannot classify (marzer/tomlplusplus #190, #295) reach it substituted and come back intact,
// in values, keys and error messages; nothing else about the document changes.
#include "config/toml_guard.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "config_test_util.hpp"

namespace hikyaku::config {
namespace {

using detail::protect_for_toml;
using detail::restore_from_toml;
using detail::restore_toml_message;
using detail::toml_whitespace_hazard;
using testing::errors_of;

std::string utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

TEST(ConfigTomlGuard, HazardousCodePoints) {
  EXPECT_FALSE(toml_whitespace_hazard(U'a'));
  EXPECT_FALSE(toml_whitespace_hazard(0xA0));  // NBSP: handled by toml++
  EXPECT_TRUE(toml_whitespace_hazard(0xA1));
  EXPECT_TRUE(toml_whitespace_hazard(0xA7));   // § (issue #190)
  EXPECT_TRUE(toml_whitespace_hazard(0xFC));   // ü
  EXPECT_TRUE(toml_whitespace_hazard(0x32A));  // issue #295's "\xcc\xaa"
  EXPECT_TRUE(toml_whitespace_hazard(0x499));
  EXPECT_FALSE(toml_whitespace_hazard(0x49A));
  EXPECT_FALSE(toml_whitespace_hazard(0x1680));
  EXPECT_FALSE(toml_whitespace_hazard(0x2000));
  EXPECT_FALSE(toml_whitespace_hazard(0x3000));
  EXPECT_TRUE(toml_whitespace_hazard(0x3001));
  EXPECT_TRUE(toml_whitespace_hazard(0xFEDF));  // found by fuzz_config
  EXPECT_FALSE(toml_whitespace_hazard(0xFEFF));
  EXPECT_FALSE(toml_whitespace_hazard(0x10000));
}

TEST(ConfigTomlGuard, SubstitutionRoundTripsAndKeepsLines) {
  const std::string text = "a = \"b\xc3\xbc\xc2\xa7\"\n# \xcc\xaa\nc = 1\n";
  const auto p = protect_for_toml(text);
  EXPECT_EQ(p.private_use_line, 0);
  EXPECT_EQ(p.text.find("\xc3\xbc"), std::string::npos);  // ü is not handed to toml++
  EXPECT_EQ(std::count(p.text.begin(), p.text.end(), '\n'), 3);
  EXPECT_EQ(restore_from_toml(p.text), text);
  // Overlong forms and malformed octets are left for toml++'s own decoder to refuse.
  EXPECT_EQ(protect_for_toml("\xc1\xbc").text, "\xc1\xbc");
  EXPECT_EQ(protect_for_toml("\xe0\x83\xbc").text, "\xe0\x83\xbc");
  EXPECT_EQ(protect_for_toml("\xc3").text, "\xc3");
}

TEST(ConfigTomlGuard, MessagesSpellTheOriginalCodePoint) {
  EXPECT_EQ(restore_toml_message("saw '\\U000F00FC'"), "saw '\\u00FC'");
  EXPECT_EQ(restore_toml_message("saw '\\U000F0041'"), "saw '\\U000F0041'");  // not one of ours
  EXPECT_EQ(restore_toml_message("saw '" + utf8(0xF00FC) + "'"), "saw '\xc3\xbc'");
}

TEST(ConfigTomlGuard, HazardsOutsideStringsAreSyntaxErrorsWithTheirLine) {
  auto errors = errors_of("\xc3\xbc");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("t.toml:1: TOML syntax error: ", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("saw '\xc3\xbc'"), std::string::npos) << errors[0];  // as written, not substituted

  errors = errors_of("[server]\nmax_errors = 1\xc2\xa7\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("t.toml:2: TOML syntax error: ", 0), 0u) << errors[0];
}

TEST(ConfigTomlGuard, PlaneFifteenPrivateUseIsRefused) {
  EXPECT_EQ(errors_of("# ok\n# " + utf8(0xF00FC) + "\n"),
            std::vector<std::string>{
                "t.toml:2: TOML syntax error: private-use characters U+F0000 to U+FFFFF are not supported"});
}

TEST(ConfigTomlGuard, ValuesAndKeysComeBackIntact) {
  auto loaded = load_string(
      "# \xc2\xa7 \xc3\xbc comments may hold anything\n"
      "[srs]  # \xcc\xaa\n"
      "domain = \"fwd.example.net\"\n"
      "secrets = [\"\xc3\xbc\\\"\xc2\xa7\", '\xc2\xa7\\', \"\"\"\xc2\xa7\n\xc3\xbc\"\"\", '''\\\xc2\xa7''', "
      "\"\"\"x\\\"\"\"\xc2\xa7\"\"\", \"\"\"\\\n  \xc2\xa7y\"\"\", \"\\u00a7\"]\n",
      "t.toml");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->srs.secrets,
            (std::vector<std::string>{"\xc3\xbc\"\xc2\xa7", "\xc2\xa7\\", "\xc2\xa7\n\xc3\xbc", "\\\xc2\xa7",
                                      "x\"\"\"\xc2\xa7", "\xc2\xa7y", "\xc2\xa7"}));
  EXPECT_EQ(errors_of("[log]\n\"k\xc3\xbc\" = 1\n"),
            std::vector<std::string>{"t.toml:2: log.\"k\xc3\xbc\": unknown key"});
  EXPECT_EQ(
      errors_of("[log]\nlevel = \"\xc3\xbc\"\n"),
      std::vector<std::string>{
          "t.toml:2: log.level: unknown level \"\xc3\xbc\" (expected trace, debug, info, warning or error)"});
}

// Code points of the Basic Multilingual Plane (all of the three hazardous ranges, every 16th
// elsewhere), in each position where toml++ tests for whitespace, must give a clean result
// (an error or a value) — under UBSan a miss aborts.
TEST(ConfigTomlGuard, BmpCodePointsInEveryTestedPosition) {
  size_t loaded_ok = 0;
  auto in_hazard_range = [](char32_t c) { return c < 0x500 || (c >= 0x2C00 && c < 0x3100) || c >= 0xFB00; };
  for (char32_t c = 0x80; c < 0x10000; ++c) {
    if ((c >= 0xD800 && c <= 0xDFFF) || (!in_hazard_range(c) && c % 16 != 0)) continue;
    const std::string ch = utf8(c);
    for (const std::string& doc :
         {ch + " = 1\n", "a = 1" + ch + "\n", "a = \"\"\"\\" + ch + "\"\"\"\n",
          "[srs]\ndomain = \"fwd.example.net\"\nsecrets = [\"\"\"\\\n" + ch + "\"\"\"]\n"}) {
      auto loaded = load_string(doc, "t.toml");
      if (loaded) {
        ++loaded_ok;
        EXPECT_EQ(loaded->srs.secrets, std::vector<std::string>{ch});
      }
    }
  }
  EXPECT_GT(loaded_ok, 7000u);  // the line-ending-backslash form is valid TOML for (nearly) all
}

}  // namespace
}  // namespace hikyaku::config
