// The shared TXT field grammar of RFC 8461 §3.1 and RFC 8460 §3.
#include "relay/txt_fields.hpp"

namespace hikyaku::relay {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string_view trim_wsp(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "Begins with" the version: the version tag whole, not a longer tag that starts like it.
bool starts_with_version(std::string_view t, std::string_view version) {
  if (t.substr(0, version.size()) != version) return false;
  if (t.size() == version.size()) return true;
  const char next = t[version.size()];
  return next == ';' || next == ' ' || next == '\t';
}

}  // namespace

bool is_txt_extension_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || !is_alnum(name.front())) return false;
  for (char c : name) {
    if (!is_alnum(c) && c != '_' && c != '-' && c != '.') return false;
  }
  return true;
}

bool is_txt_extension_value(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || c == ';' || c == '=') return false;
  }
  return true;
}

core::Expected<std::vector<TxtField>, std::string> split_txt_fields(std::string_view txt,
                                                                    std::string_view version) {
  if (!starts_with_version(txt, version)) {
    return core::unexpected("does not start with " + std::string(version));
  }
  std::string_view rest = trim_wsp(txt.substr(version.size()));
  std::vector<TxtField> fields;
  // 1*(field-delim field) [field-delim]
  while (!rest.empty()) {
    if (rest.front() != ';') return core::unexpected(std::string("fields must be separated by ';'"));
    rest.remove_prefix(1);
    const size_t semi = rest.find(';');
    const std::string_view field = trim_wsp(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi);
    if (field.empty()) {
      if (rest.empty()) break;  // the optional final delimiter
      return core::unexpected(std::string("empty field"));
    }
    const size_t eq = field.find('=');
    if (eq == std::string_view::npos) return core::unexpected("field without '=': " + std::string(field));
    fields.push_back(TxtField{trim_wsp(field.substr(0, eq)), trim_wsp(field.substr(eq + 1))});
  }
  if (fields.empty()) return core::unexpected(std::string("no field after the version"));
  return fields;
}

const std::string* select_versioned_record(const std::vector<std::string>& texts,
                                           std::string_view version, std::string* why) {
  const std::string* found = nullptr;
  size_t count = 0;
  for (const auto& t : texts) {
    if (!starts_with_version(t, version)) continue;
    found = &t;
    ++count;
  }
  if (count == 1) return found;
  if (why != nullptr) {
    *why = (count == 0 ? "no " : "more than one ") + std::string(version) + " record";
  }
  return nullptr;
}

}  // namespace hikyaku::relay
