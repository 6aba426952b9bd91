// RFC 6376 §3.2 tag=value lists: tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS];
// tag-name = ALPHA *(ALPHA / DIGIT / "_"); tval = 1*VALCHAR (%x21-3A / %x3C-7E), separated
// by WSP/FWS. FWS = [*WSP CRLF] 1*WSP (RFC 5322 §3.2.2): a CRLF must be followed by WSP.
#include "auth/tag_list.hpp"

namespace hikyaku::auth {

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_valchar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7e && c != ';';
}

// Skips FWS at `pos`. False when a CR/LF appears that is not part of a valid fold.
bool skip_fws(std::string_view s, size_t& pos) {
  while (pos < s.size()) {
    if (is_wsp(s[pos])) {
      ++pos;
    } else if (s[pos] == '\r') {
      if (pos + 2 >= s.size() || s[pos + 1] != '\n' || !is_wsp(s[pos + 2])) return false;
      pos += 3;
    } else if (s[pos] == '\n') {
      return false;
    } else {
      break;
    }
  }
  return true;
}

}  // namespace

const std::string* TagList::find(std::string_view name) const {
  for (const auto& t : tags) {
    if (t.name == name) return &t.value;
  }
  return nullptr;
}

core::Expected<TagList, TagListError> parse_tag_list(std::string_view s) {
  TagList out;
  size_t pos = 0;
  if (!skip_fws(s, pos)) return core::unexpected(TagListError::syntax);
  if (pos == s.size()) return out;
  while (true) {
    // tag-name
    if (pos >= s.size() || !is_alpha(s[pos])) return core::unexpected(TagListError::syntax);
    const size_t name_start = pos;
    while (pos < s.size() && (is_alpha(s[pos]) || is_digit(s[pos]) || s[pos] == '_')) ++pos;
    std::string name(s.substr(name_start, pos - name_start));
    if (!skip_fws(s, pos) || pos >= s.size() || s[pos] != '=') {
      return core::unexpected(TagListError::syntax);
    }
    ++pos;
    if (!skip_fws(s, pos)) return core::unexpected(TagListError::syntax);
    // tag-value: tval *(FWS tval), then FWS, then ";" or end.
    const size_t value_start = pos;
    size_t value_end = pos;
    while (pos < s.size() && s[pos] != ';') {
      if (is_valchar(s[pos])) {
        ++pos;
        value_end = pos;
      } else if (is_wsp(s[pos]) || s[pos] == '\r' || s[pos] == '\n') {
        if (!skip_fws(s, pos)) return core::unexpected(TagListError::syntax);
      } else {
        return core::unexpected(TagListError::syntax);  // 8-bit or control octet
      }
    }
    for (const auto& t : out.tags) {
      if (t.name == name) return core::unexpected(TagListError::duplicate_tag);
    }
    out.tags.push_back(Tag{std::move(name), std::string(s.substr(value_start, value_end - value_start))});
    if (pos >= s.size()) return out;
    ++pos;  // ';'
    if (!skip_fws(s, pos)) return core::unexpected(TagListError::syntax);
    if (pos >= s.size()) return out;  // trailing ";"
  }
}

std::string strip_fws(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

const char* to_string(TagListError e) {
  switch (e) {
    case TagListError::syntax: return "tag-list syntax error";
    case TagListError::duplicate_tag: return "duplicate tag";
  }
  return "tag-list error";
}

}  // namespace hikyaku::auth
