// A small reader for the ValiMail arc_test_suite YAML (RFC 8617 §5.1 signing and §5.2
// validation suites): documents split by "---", tests with literal blocks, txt-records, and the
// signing scenario's domain / sel / privatekey. Only the suite's regular shape is understood.
#pragma once
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/ascii.hpp"

namespace hikyaku::auth::suite {

struct Case {
  std::string message;  // CRLF line ends
  std::string cv;       // lower-cased; empty counts as "fail" (see the suite README)
  // Signing suite only: t=, the AMS h=, the authserv-id, and the expected header values.
  std::string t, sig_headers, srv_id, as, ams, aar;
};

struct Scenario {
  std::map<std::string, Case> tests;  // a repeated test id replaces the earlier one, as in YAML
  std::map<std::string, std::string> txt;
  std::string domain, sel, private_key;  // signing suite only
};

inline size_t indent_of(const std::string& l) {
  size_t i = 0;
  while (i < l.size() && l[i] == ' ') ++i;
  return i;
}
inline bool blank(const std::string& l) { return indent_of(l) == l.size(); }
inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}
inline std::string lower(std::string s) {
  for (char& c : s) c = core::ascii_lower(c);
  return s;
}

// A "|" block after line `i` (clip chomping): lines indented deeper than `parent`.
inline std::string read_block(const std::vector<std::string>& lines, size_t& i, size_t parent) {
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

inline std::vector<Scenario> load_suite(std::ifstream& in) {
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
      if (section == other && colon != std::string::npos) {
        const std::string key = l.substr(0, colon);
        const std::string value = trim(l.substr(colon + 1));
        if (key == "domain") out.back().domain = value;
        if (key == "sel") out.back().sel = value;
        if (key == "privatekey" && value == "|") out.back().private_key = read_block(lines, i, 0);
      }
      continue;
    }
    if (colon == std::string::npos) continue;
    const std::string key = l.substr(ind, colon - ind);
    const std::string value = trim(l.substr(colon + 1));
    if (section == tests && ind == 2) {
      test_id = key;
      out.back().tests[test_id] = Case{};
    } else if (section == tests && ind == 4) {
      Case& c = out.back().tests[test_id];
      if (value == "|" || value == ">-") {
        const std::string block = read_block(lines, i, ind);
        if (key == "message") c.message = block;
        if (key == "AS") c.as = block;
        if (key == "AMS") c.ams = block;
        if (key == "AAR") c.aar = block;
      } else if (key == "cv") {
        c.cv = lower(value);
      } else if (key == "t") {
        c.t = value;
      } else if (key == "sig-headers") {
        c.sig_headers = value;
      } else if (key == "srv-id") {
        c.srv_id = value;
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

}  // namespace hikyaku::auth::suite
